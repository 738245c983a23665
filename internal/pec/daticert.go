// Package pec reads the receipts of Posta Elettronica Certificata: which receipt a message
// is (its X-Ricevuta header) and what its daticert.xml certifies, in the format of the
// technical rules of PEC (DM 2 November 2005, the Postacert DTD).
//
// Only a delivery receipt (avvenuta-consegna) proves that a notice reached its recipient.
package pec

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// Type is the kind of a PEC message, the "tipo" of daticert.xml and the X-Ricevuta header.
type Type string

// The receipts and notices a provider sends back, and the envelope of a certified message.
const (
	Accettazione            Type = "accettazione"              // the sender's provider took the message
	NonAccettazione         Type = "non-accettazione"          // … and refused it
	PresaInCarico           Type = "presa-in-carico"           // the recipient's provider took it
	AvvenutaConsegna        Type = "avvenuta-consegna"         // delivered: the only proof of notification
	ErroreConsegna          Type = "errore-consegna"           // not delivered, final
	PreavvisoErroreConsegna Type = "preavviso-errore-consegna" // not delivered within 12 h, a warning
	RilevazioneVirus        Type = "rilevazione-virus"         // refused for a virus
	PostaCertificata        Type = "posta-certificata"         // the envelope of a certified message itself
)

var knownTypes = map[Type]bool{
	Accettazione: true, NonAccettazione: true, PresaInCarico: true, AvvenutaConsegna: true,
	ErroreConsegna: true, PreavvisoErroreConsegna: true, RilevazioneVirus: true, PostaCertificata: true,
}

// IsFailure reports whether a receipt of type t says the message will not be delivered.
func (t Type) IsFailure() bool {
	return t == NonAccettazione || t == ErroreConsegna || t == PreavvisoErroreConsegna || t == RilevazioneVirus
}

// Daticert is what a daticert.xml certifies.
type Daticert struct {
	Type Type
	// Error is the "errore" attribute: nessuno, no-dest, no-dominio, virus or altro.
	Error      string
	Sender     string
	Recipients []Recipient
	Subject    string
	// Provider is the gestore emittente, the provider that issued the receipt.
	Provider string
	// Time is when the provider issued it.
	Time time.Time
	// ID is the provider's identifier of the message (identificativo).
	ID string
	// MsgID is the Message-ID of the message the receipt is about, without angle
	// brackets: what matches a receipt to what was sent.
	MsgID string
	// Delivery is the address a delivery receipt is for (consegna); ErrorDetail the
	// provider's explanation of an error (errore-esteso).
	Delivery    string
	ErrorDetail string
}

// Recipient is an addressee and whether its mailbox is certified ("certificato") or
// ordinary email ("esterno").
type Recipient struct {
	Address string
	Kind    string
}

// maxDaticert bounds what is read: a real daticert.xml is a few kilobytes.
const maxDaticert = 256 << 10

// ErrNotDaticert is returned for input that is not a daticert.xml of a known type.
var ErrNotDaticert = errors.New("not a PEC daticert.xml")

type postacert struct {
	XMLName      xml.Name `xml:"postacert"`
	Tipo         string   `xml:"tipo,attr"`
	Errore       string   `xml:"errore,attr"`
	Intestazione struct {
		Mittente    string `xml:"mittente"`
		Destinatari []struct {
			Tipo      string `xml:"tipo,attr"`
			Indirizzo string `xml:",chardata"`
		} `xml:"destinatari"`
		Oggetto string `xml:"oggetto"`
	} `xml:"intestazione"`
	Dati struct {
		Gestore string `xml:"gestore-emittente"`
		Data    struct {
			Zona   string `xml:"zona,attr"`
			Giorno string `xml:"giorno"`
			Ora    string `xml:"ora"`
		} `xml:"data"`
		Identificativo string `xml:"identificativo"`
		MsgID          string `xml:"msgid"`
		Consegna       string `xml:"consegna"`
		ErroreEsteso   string `xml:"errore-esteso"`
	} `xml:"dati"`
}

// ParseDaticert reads a daticert.xml. Providers write it in UTF-8 or ISO-8859-1; a
// DOCTYPE is allowed and never fetched.
func ParseDaticert(data []byte) (Daticert, error) {
	if len(data) > maxDaticert {
		return Daticert{}, fmt.Errorf("%w: larger than %d bytes", ErrNotDaticert, maxDaticert)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charsetReader
	// Strict refuses entities beyond XML's own: a receipt needs none, and they are how
	// XML bombs start. encoding/xml never fetches a DTD.
	dec.Strict = true
	var p postacert
	if err := dec.Decode(&p); err != nil {
		return Daticert{}, fmt.Errorf("%w: %v", ErrNotDaticert, err)
	}
	t := Type(strings.TrimSpace(p.Tipo))
	if !knownTypes[t] {
		return Daticert{}, fmt.Errorf("%w: unknown tipo %q", ErrNotDaticert, p.Tipo)
	}
	d := Daticert{
		Type:        t,
		Error:       strings.TrimSpace(p.Errore),
		Sender:      strings.TrimSpace(p.Intestazione.Mittente),
		Subject:     strings.TrimSpace(p.Intestazione.Oggetto),
		Provider:    strings.TrimSpace(p.Dati.Gestore),
		ID:          strings.TrimSpace(p.Dati.Identificativo),
		MsgID:       trimAngles(p.Dati.MsgID),
		Delivery:    strings.TrimSpace(p.Dati.Consegna),
		ErrorDetail: strings.TrimSpace(p.Dati.ErroreEsteso),
	}
	if d.Error == "" {
		d.Error = "nessuno"
	}
	for _, r := range p.Intestazione.Destinatari {
		d.Recipients = append(d.Recipients, Recipient{Address: strings.TrimSpace(r.Indirizzo), Kind: strings.TrimSpace(r.Tipo)})
	}
	if d.MsgID == "" {
		return Daticert{}, fmt.Errorf("%w: no msgid", ErrNotDaticert)
	}
	at, err := parseTime(p.Dati.Data.Giorno, p.Dati.Data.Ora, p.Dati.Data.Zona)
	if err != nil {
		return Daticert{}, fmt.Errorf("%w: %v", ErrNotDaticert, err)
	}
	d.Time = at
	return d, nil
}

// parseTime reads the date of a daticert: giorno dd/mm/yyyy, ora hh:mm:ss, zona +hhmm.
func parseTime(day, clock, zone string) (time.Time, error) {
	zone = strings.TrimSpace(zone)
	if zone == "" {
		zone = "+0000"
	}
	t, err := time.Parse("02/01/2006 15:04:05 -0700", strings.TrimSpace(day)+" "+strings.TrimSpace(clock)+" "+zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad data: %q %q %q", day, clock, zone)
	}
	return t, nil
}

func trimAngles(id string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
}

func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "us-ascii":
		return input, nil
	case "iso-8859-1", "latin1", "iso8859-1":
		return charmap.ISO8859_1.NewDecoder().Reader(input), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(input), nil
	}
	return nil, fmt.Errorf("charset %q not supported", label)
}

// ReceiptHeaders reads the headers by which a provider marks a receipt: X-Ricevuta (its
// type) and X-Riferimento-Message-ID (the Message-ID of the message it is about). ok is
// false when the message is not a receipt.
func ReceiptHeaders(get func(string) string) (t Type, refMsgID string, ok bool) {
	t = Type(strings.TrimSpace(get("X-Ricevuta")))
	if !knownTypes[t] || t == PostaCertificata {
		return "", "", false
	}
	return t, trimAngles(get("X-Riferimento-Message-ID")), true
}
