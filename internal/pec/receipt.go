package pec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"unicode/utf8"
)

// The values the Postacert DTD allows for the "errore" attribute and for a recipient's
// "tipo": writing anything else would produce a daticert.xml no provider would issue.
var (
	knownErrors = map[string]bool{"nessuno": true, "no-dominio": true, "no-dest": true, "virus": true, "altro": true}
	knownKinds  = map[string]bool{"certificato": true, "esterno": true}
)

// MarshalDaticert writes d as a daticert.xml in the published Postacert format, UTF-8,
// element by element in the order the DTD prescribes. An empty Error is written as
// "nessuno" and an empty recipient Kind as "certificato". Text that XML cannot carry
// (control characters, invalid UTF-8) becomes U+FFFD rather than breaking the document.
// The time is written in its own offset: pass it in Europe/Rome, as Italian providers do.
func MarshalDaticert(d Daticert) ([]byte, error) {
	d, err := normalise(d)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE postacert SYSTEM "Postacert.dtd">` + "\n")
	fmt.Fprintf(&b, "<postacert tipo=%s errore=%s>\n", attr(string(d.Type)), attr(d.Error))
	b.WriteString("  <intestazione>\n")
	element(&b, 4, "mittente", "", d.Sender)
	for _, r := range d.Recipients {
		element(&b, 4, "destinatari", "tipo="+attr(r.Kind), r.Address)
	}
	// The DTD requires risposte (the reply-to address); Daticert does not carry it, and
	// providers write the sender's address when the message names no other.
	element(&b, 4, "risposte", "", d.Sender)
	element(&b, 4, "oggetto", "", d.Subject)
	b.WriteString("  </intestazione>\n")
	b.WriteString("  <dati>\n")
	element(&b, 4, "gestore-emittente", "", d.Provider)
	fmt.Fprintf(&b, "    <data zona=%s>\n", attr(d.Time.Format("-0700")))
	element(&b, 6, "giorno", "", d.Time.Format("02/01/2006"))
	element(&b, 6, "ora", "", d.Time.Format("15:04:05"))
	b.WriteString("    </data>\n")
	element(&b, 4, "identificativo", "", d.ID)
	element(&b, 4, "msgid", "", "<"+d.MsgID+">")
	b.WriteString(`    <ricevuta tipo="completa"/>` + "\n")
	if d.Delivery != "" {
		element(&b, 4, "consegna", "", d.Delivery)
	}
	if d.ErrorDetail != "" {
		element(&b, 4, "errore-esteso", "", d.ErrorDetail)
	}
	b.WriteString("  </dati>\n")
	b.WriteString("</postacert>\n")
	return b.Bytes(), nil
}

// normalise fills the defaults and refuses what would make a daticert.xml that
// ParseDaticert, or a provider's client, could not match to a message.
func normalise(d Daticert) (Daticert, error) {
	if !knownTypes[d.Type] {
		return d, fmt.Errorf("daticert: unknown tipo %q", d.Type)
	}
	if d.Error == "" {
		d.Error = "nessuno"
	}
	if !knownErrors[d.Error] {
		return d, fmt.Errorf("daticert: unknown errore %q", d.Error)
	}
	d.MsgID = trimAngles(d.MsgID)
	if d.MsgID == "" || strings.ContainsAny(d.MsgID, "<> \t\r\n") {
		return d, fmt.Errorf("daticert: bad msgid %q", d.MsgID)
	}
	if d.Time.IsZero() {
		return d, errors.New("daticert: no time")
	}
	if d.Sender == "" || len(d.Recipients) == 0 {
		return d, errors.New("daticert: a sender and at least one recipient are required")
	}
	d.Recipients = append([]Recipient(nil), d.Recipients...)
	for i, r := range d.Recipients {
		if r.Kind == "" {
			d.Recipients[i].Kind = "certificato"
		} else if !knownKinds[r.Kind] {
			return d, fmt.Errorf("daticert: unknown recipient tipo %q", r.Kind)
		}
	}
	return d, nil
}

// element writes one line <name attrs>text</name>, indented.
func element(b *bytes.Buffer, indent int, name, attrs, text string) {
	b.WriteString(strings.Repeat(" ", indent))
	b.WriteString("<" + name)
	if attrs != "" {
		b.WriteString(" " + attrs)
	}
	b.WriteString(">")
	_ = xml.EscapeText(b, []byte(xmlSafe(text))) // a bytes.Buffer does not fail
	b.WriteString("</" + name + ">\n")
}

// attr quotes an attribute value.
func attr(value string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	_ = xml.EscapeText(&b, []byte(xmlSafe(value)))
	b.WriteByte('"')
	return b.String()
}

// xmlSafe replaces what XML 1.0 cannot represent at all, even escaped (most control
// characters, surrogates, invalid UTF-8), with U+FFFD: a subject is the sender's free
// text and must not make the receipt unreadable.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if isXMLChar(r) {
			return r
		}
		return utf8.RuneError
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

// isXMLChar reports whether r may appear in an XML 1.0 document (its production Char).
func isXMLChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= utf8.MaxRune:
		return true
	}
	return false
}

// receiptSubjects are the Subject prefixes of the technical rules, one per receipt.
var receiptSubjects = map[Type]string{
	Accettazione:            "ACCETTAZIONE: ",
	NonAccettazione:         "AVVISO DI NON ACCETTAZIONE: ",
	PresaInCarico:           "PRESA IN CARICO: ",
	AvvenutaConsegna:        "CONSEGNA: ",
	ErroreConsegna:          "AVVISO DI MANCATA CONSEGNA: ",
	PreavvisoErroreConsegna: "AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ",
	RilevazioneVirus:        "PROBLEMA DI SICUREZZA: ",
}

// receiptSubject is the Subject a provider gives the receipt d.
func receiptSubject(d Daticert) string {
	prefix := receiptSubjects[d.Type]
	if d.Type == ErroreConsegna && d.Error == "virus" {
		prefix = "AVVISO DI MANCATA CONSEGNA PER VIRUS: "
	}
	return prefix + d.Subject
}

// ComposeReceipt writes the receipt d as a complete message (RFC 5322, CRLF line ends)
// from the provider's address from to the sender to: the X-Ricevuta and
// X-Riferimento-Message-ID headers, a text/plain part explaining it in Italian, and
// daticert.xml attached. The message is dated d.Time.
//
// Real providers wrap this in an S/MIME signature (multipart/signed, smime.p7s); this
// does not sign, so what it writes is a receipt's content, not a legally valid one. It is
// meant for the dev provider and for tests.
func ComposeReceipt(d Daticert, from, to string) ([]byte, error) {
	if _, ok := receiptSubjects[d.Type]; !ok {
		return nil, fmt.Errorf("compose receipt: %q is not a receipt", d.Type)
	}
	daticert, err := MarshalDaticert(d)
	if err != nil {
		return nil, fmt.Errorf("compose receipt: %w", err)
	}
	d, _ = normalise(d) // MarshalDaticert accepted it
	fromAddr, err := headerAddress(from)
	if err != nil {
		return nil, fmt.Errorf("compose receipt: from: %w", err)
	}
	toAddr, err := headerAddress(to)
	if err != nil {
		return nil, fmt.Errorf("compose receipt: to: %w", err)
	}
	messageID := newMessageID(fromAddr.Address)

	var body bytes.Buffer
	parts := multipart.NewWriter(&body)
	if err := writeText(parts, receiptText(d)); err != nil {
		return nil, fmt.Errorf("compose receipt: %w", err)
	}
	if err := writeAttachment(parts, "daticert.xml", "application/xml", daticert); err != nil {
		return nil, fmt.Errorf("compose receipt: %w", err)
	}
	if err := parts.Close(); err != nil {
		return nil, fmt.Errorf("compose receipt: %w", err)
	}

	var msg bytes.Buffer
	writeHeader(&msg, "From", fromAddr.String())
	writeHeader(&msg, "To", toAddr.String())
	writeHeader(&msg, "Date", d.Time.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	writeHeader(&msg, "Message-ID", messageID)
	writeHeader(&msg, "Subject", mime.QEncoding.Encode("UTF-8", xmlSafe(receiptSubject(d))))
	writeHeader(&msg, "X-Ricevuta", string(d.Type))
	writeHeader(&msg, "X-Riferimento-Message-ID", "<"+d.MsgID+">")
	writeHeader(&msg, "MIME-Version", "1.0")
	writeHeader(&msg, "Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": parts.Boundary()}))
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// headerAddress accepts a bare address and nothing that could smuggle in a header.
func headerAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("bad address %q", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// newMessageID makes a Message-ID no other message has, in the provider's domain.
func newMessageID(address string) string {
	domain := address[strings.LastIndexByte(address, '@')+1:]
	return "<receipt." + strings.ToLower(rand.Text()) + "@" + domain + ">"
}

// writeHeader writes a header field, folded at spaces so that its lines stay within the
// 78 characters RFC 5322 recommends wherever a space allows it (a long first word goes
// on a line of its own, after "Name:").
func writeHeader(b *bytes.Buffer, name, value string) {
	line := name + ":"
	for _, word := range strings.Split(value, " ") {
		if len(line)+1+len(word) > 78 {
			b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + word
	}
	b.WriteString(line + "\r\n")
}

func writeText(parts *multipart.Writer, text string) error {
	w, err := parts.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=UTF-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return err
	}
	// quoted-printable keeps the accented Italian readable by any 7-bit relay, and its
	// writer turns the text's line ends into CRLF.
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(text)); err != nil {
		return err
	}
	return qp.Close()
}

func writeAttachment(parts *multipart.Writer, name, contentType string, data []byte) error {
	w, err := parts.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType(contentType, map[string]string{"name": name})},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return err
	}
	encoded := base64.StdEncoding.EncodeToString(data)
	for len(encoded) > 0 {
		n := min(76, len(encoded)) // RFC 2045's limit for a base64 line
		if _, err := fmt.Fprintf(w, "%s\r\n", encoded[:n]); err != nil {
			return err
		}
		encoded = encoded[n:]
	}
	return nil
}

// receiptText is the human-readable explanation of the receipt, in the words Italian
// providers use.
func receiptText(d Daticert) string {
	when := fmt.Sprintf("Il giorno %s alle ore %s (%s)", d.Time.Format("02/01/2006"), d.Time.Format("15:04:05"), d.Time.Format("-0700"))
	message := `messaggio "` + d.Subject + `" proveniente da "` + d.Sender + `"`
	detail := d.ErrorDetail
	if detail == "" {
		detail = d.Error
	}
	var text string
	switch d.Type {
	case Accettazione:
		text = when + " il " + message + " ed indirizzato a:\n" + recipientList(d.Recipients) +
			"\nè stato accettato dal sistema ed inoltrato."
	case NonAccettazione:
		text = when + " nel " + message + " ed indirizzato a:\n" + recipientList(d.Recipients) +
			"\nè stato rilevato un problema che ne impedisce l'accettazione a causa di: " + detail +
			".\nIl messaggio non è stato accettato."
	case PresaInCarico:
		text = when + " il " + message + " ed indirizzato a:\n" + recipientList(d.Recipients) +
			"\nè stato preso in carico dal gestore di destinazione."
	case AvvenutaConsegna:
		text = when + " il " + message + ` ed indirizzato a "` + delivery(d) +
			`" è stato consegnato nella casella di destinazione.`
	case PreavvisoErroreConsegna:
		text = when + " nel " + message + ` ed indirizzato a "` + delivery(d) + `" si è verificato un errore: ` + detail +
			".\nIl messaggio non è stato consegnato entro le prime 12 ore dall'invio; il gestore continua a tentare la consegna fino allo scadere delle 24 ore."
	case ErroreConsegna:
		text = when + " nel " + message + ` ed indirizzato a "` + delivery(d) + `" è stato rilevato un errore: ` + detail +
			".\nIl messaggio non è stato consegnato."
	case RilevazioneVirus:
		text = when + " nel " + message + " è stato rilevato un problema di sicurezza: " + detail +
			".\nIl messaggio non è stato inoltrato."
	}
	return text + "\nIdentificativo messaggio: " + d.ID +
		"\n\nI dati di certificazione sono nell'allegato daticert.xml.\n"
}

func recipientList(recipients []Recipient) string {
	var lines []string
	for _, r := range recipients {
		kind := "posta certificata"
		if r.Kind == "esterno" {
			kind = "posta ordinaria"
		}
		lines = append(lines, r.Address+` ("`+kind+`")`)
	}
	return strings.Join(lines, "\n")
}

// delivery is the recipient a delivery receipt or notice is about: consegna when the
// provider wrote it, all the recipients otherwise.
func delivery(d Daticert) string {
	if d.Delivery != "" {
		return d.Delivery
	}
	addresses := make([]string, len(d.Recipients))
	for i, r := range d.Recipients {
		addresses[i] = r.Address
	}
	return strings.Join(addresses, ", ")
}
