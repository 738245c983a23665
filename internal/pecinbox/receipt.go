// Package pecinbox polls Approdo's PEC mailbox over IMAP and recognises the receipts the
// provider leaves there (accettazione, avvenuta-consegna, errore-consegna, …), so that
// whoever waits for the outcome of a certified notice can be told.
//
// A receipt is recognised by its X-Ricevuta and X-Riferimento-Message-ID headers and by
// its daticert.xml attachment, and both must agree. The S/MIME signature of the provider
// is not verified: what reaches this mailbox was put there by the provider itself.
package pecinbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message"
	// Registers the common charsets, so that parts in ISO-8859-1 or windows-1252 are
	// read rather than refused.
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/approdo/approdo/internal/pec"
)

// Limits on what ParseReceipt reads. A receipt is a few tens of kilobytes, a complete
// delivery receipt carries a copy of the original message; the limits keep a hostile
// message from costing more than that.
const (
	// MaxMessageSize is the largest message ParseReceipt accepts.
	MaxMessageSize = 20 << 20
	// maxDepth is how deeply multiparts may nest: a signed receipt needs three levels.
	maxDepth = 8
	// maxParts bounds the number of MIME parts visited.
	maxParts = 100
	// maxDaticertSize matches what pec.ParseDaticert accepts.
	maxDaticertSize = 256 << 10
)

// daticertName is the file name the technical rules of PEC give the attachment.
const daticertName = "daticert.xml"

var (
	// ErrNotReceipt is returned for a message that is not a PEC receipt: no X-Ricevuta
	// header, or one naming no receipt type (a certified message someone sent, spam).
	ErrNotReceipt = errors.New("pecinbox: not a PEC receipt")
	// ErrMalformed is returned for a message that claims to be a receipt but cannot be
	// trusted as one: daticert.xml missing, unreadable or disagreeing with the headers.
	ErrMalformed = errors.New("pecinbox: malformed PEC receipt")
	// ErrTooLarge is returned for a message larger than MaxMessageSize.
	ErrTooLarge = errors.New("pecinbox: message too large")

	// errParserFailure marks a panic inside the MIME parser turned into an error; the
	// fuzz test looks for it.
	errParserFailure = errors.New("pecinbox: parser failure")
)

// Receipt is what a PEC receipt says about a message Approdo sent.
type Receipt struct {
	Type pec.Type
	// MsgID is the Message-ID of the message the receipt is about, without angle
	// brackets: what matches the receipt to the notice that was sent.
	MsgID string
	// ReceiptMessageID is the receipt's own Message-ID, without angle brackets; empty if
	// it has none.
	ReceiptMessageID string
	// Recipient is the address the receipt is for: the consegna of a delivery receipt,
	// or the only destinatario. Empty when the message had several recipients and the
	// receipt names none.
	Recipient string
	// Error is the daticert errore (nessuno, no-dest, no-dominio, virus, altro) and
	// ErrorDetail the provider's explanation (errore-esteso).
	Error       string
	ErrorDetail string
	// Time is when the provider issued the receipt.
	Time time.Time
	// Provider is the gestore emittente.
	Provider string
	// Subject is the subject of the original message, as the daticert records it.
	Subject string
}

// ParseReceipt reads a whole RFC 5322 message and returns the receipt it carries. It
// returns an error wrapping ErrNotReceipt for a message that is no receipt, ErrMalformed
// for a receipt that cannot be trusted and ErrTooLarge beyond MaxMessageSize.
func ParseReceipt(raw []byte) (r Receipt, err error) {
	// The message comes from anyone who can write to a PEC address. A panic in the MIME
	// parser would stop the poller on the same message forever, so it becomes an error
	// and the message is set aside like any other unreadable one.
	defer func() {
		if v := recover(); v != nil {
			r, err = Receipt{}, fmt.Errorf("%w: %w: %v", ErrMalformed, errParserFailure, v)
		}
	}()
	if len(raw) > MaxMessageSize {
		return Receipt{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(raw), MaxMessageSize)
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return Receipt{}, fmt.Errorf("%w: reading the header: %v", ErrMalformed, err)
	}
	typ, refMsgID, ok := pec.ReceiptHeaders(e.Header.Get)
	if !ok {
		return Receipt{}, fmt.Errorf("%w: no X-Ricevuta header of a known receipt type", ErrNotReceipt)
	}
	data, err := findDaticert(e)
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if data == nil {
		return Receipt{}, fmt.Errorf("%w: no %s", ErrMalformed, daticertName)
	}
	d, err := pec.ParseDaticert(data)
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: %s: %v", ErrMalformed, daticertName, err)
	}
	if err := agree(typ, refMsgID, d); err != nil {
		return Receipt{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return receiptOf(d, ownMessageID(e.Header)), nil
}

// agree checks that the headers and daticert.xml describe the same receipt: a provider
// signs only the daticert, so headers that say otherwise are not to be believed.
func agree(typ pec.Type, refMsgID string, d pec.Daticert) error {
	if d.Type != typ {
		return fmt.Errorf("X-Ricevuta says %s but %s says %s", typ, daticertName, d.Type)
	}
	// The values are left out: they may identify people and the error may be logged.
	if refMsgID != "" && refMsgID != d.MsgID {
		return fmt.Errorf("X-Riferimento-Message-ID differs from the msgid of %s", daticertName)
	}
	return nil
}

func receiptOf(d pec.Daticert, ownID string) Receipt {
	r := Receipt{
		Type:             d.Type,
		MsgID:            d.MsgID,
		ReceiptMessageID: ownID,
		Recipient:        d.Delivery,
		Error:            d.Error,
		ErrorDetail:      d.ErrorDetail,
		Time:             d.Time,
		Provider:         d.Provider,
		Subject:          d.Subject,
	}
	if r.Recipient == "" && len(d.Recipients) == 1 {
		r.Recipient = d.Recipients[0].Address
	}
	return r
}

// ownMessageID returns a message's Message-ID without angle brackets, or the header as it
// is when it does not parse: it only labels what is kept for inspection.
func ownMessageID(h message.Header) string {
	mh := mail.Header{Header: h}
	if id, err := mh.MessageID(); err == nil && id != "" {
		return id
	}
	id := strings.TrimSpace(h.Get("Message-Id"))
	return strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
}

// headerMessageID reads only the header of raw for its Message-ID, for messages
// ParseReceipt refused.
func headerMessageID(raw []byte) string {
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
		return ""
	}
	return ownMessageID(e.Header)
}

// findDaticert returns the content of the first daticert.xml attachment, depth first, or
// nil if there is none. daticert.xml is an attachment, so a message that is not
// multipart has none.
func findDaticert(e *message.Entity) ([]byte, error) {
	w := walker{}
	return w.entity(e, 0)
}

// walker visits MIME parts within the limits on depth and number.
type walker struct {
	parts int
}

func (w *walker) entity(e *message.Entity, depth int) ([]byte, error) {
	mediaType, params, err := e.Header.ContentType()
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") {
		return nil, nil
	}
	if depth >= maxDepth {
		return nil, fmt.Errorf("multiparts nested deeper than %d levels", maxDepth)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, fmt.Errorf("%s without a boundary", mediaType)
	}
	return w.multipart(e.Body, boundary, depth+1)
}

// multipart reads the parts of a multipart body. A message/rfc822 part (the postacert.eml
// of a complete delivery receipt) is not multipart and so is not entered: a daticert.xml
// inside it would be about another message.
func (w *walker) multipart(body io.Reader, boundary string, depth int) ([]byte, error) {
	// textproto rather than Entity.MultipartReader, which would convert a text/xml
	// daticert to UTF-8 behind the back of its XML declaration.
	mr := textproto.NewMultipartReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading MIME parts: %v", err)
		}
		w.parts++
		if w.parts > maxParts {
			return nil, fmt.Errorf("more than %d MIME parts", maxParts)
		}
		h := message.Header{Header: p.Header}
		if isDaticert(h) {
			return readDaticert(h, p)
		}
		// Only the header of any other part matters, so an unknown charset or
		// transfer encoding in it is no reason to stop.
		child, _ := message.New(h, p)
		data, err := w.entity(child, depth)
		if data != nil || err != nil {
			return data, err
		}
	}
}

// isDaticert reports whether a part is named daticert.xml, by its Content-Disposition
// filename or, as some providers leave that out, its Content-Type name.
func isDaticert(h message.Header) bool {
	if _, params, err := h.ContentDisposition(); err == nil && isDaticertName(params["filename"]) {
		return true
	}
	_, params, err := h.ContentType()
	return err == nil && isDaticertName(params["name"])
}

func isDaticertName(name string) bool {
	return strings.EqualFold(strings.TrimSpace(name), daticertName)
}

// readDaticert undoes the part's transfer encoding but not its charset: the XML
// declaration names the encoding, and pec.ParseDaticert decodes from that.
func readDaticert(h message.Header, body io.Reader) ([]byte, error) {
	h = h.Copy()
	h.Set("Content-Type", "application/octet-stream")
	e, err := message.New(h, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", daticertName, err)
	}
	data, err := io.ReadAll(io.LimitReader(e.Body, maxDaticertSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", daticertName, err)
	}
	if len(data) > maxDaticertSize {
		return nil, fmt.Errorf("%s larger than %d bytes", daticertName, maxDaticertSize)
	}
	return data, nil
}

// Evidence is what of a receipt Approdo keeps: its header and its daticert.xml, as one
// message whose body is the daticert. A complete delivery receipt carries the original
// message as postacert.eml, and a notice of credentials would then keep a temporary
// password in the database; the daticert alone certifies what the receipt proves (type,
// msgid, recipient, time), and the signature is not verified anyway. raw must be a
// message ParseReceipt accepted.
func Evidence(raw []byte) ([]byte, error) {
	if len(raw) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(raw), MaxMessageSize)
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("%w: reading the header: %v", ErrMalformed, err)
	}
	data, err := findDaticert(e)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if data == nil {
		return nil, fmt.Errorf("%w: no %s", ErrMalformed, daticertName)
	}
	var out bytes.Buffer
	fields := e.Header.Fields()
	for fields.Next() {
		switch strings.ToLower(fields.Key()) {
		case "content-type", "content-transfer-encoding", "content-disposition", "mime-version":
			continue
		}
		if raw, err := fields.Raw(); err == nil {
			out.Write(raw)
		}
	}
	// One part, base64, so that no line of the daticert can pass for the boundary.
	const boundary = "approdo-evidence"
	out.WriteString("MIME-Version: 1.0\r\n")
	out.WriteString("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n")
	out.WriteString("--" + boundary + "\r\n")
	out.WriteString("Content-Type: application/xml; name=\"" + daticertName + "\"\r\n")
	out.WriteString("Content-Disposition: attachment; filename=\"" + daticertName + "\"\r\n")
	out.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		out.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	out.WriteString(enc + "\r\n--" + boundary + "--\r\n")
	return out.Bytes(), nil
}
