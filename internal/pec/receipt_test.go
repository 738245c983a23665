package pec_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pec"
)

var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("+0100", 3600)
	}
	return loc
}()

// sample is a receipt of type t as the dev provider would issue it.
func sample(t pec.Type) pec.Daticert {
	d := pec.Daticert{
		Type:   t,
		Error:  "nessuno",
		Sender: "approdo@pec.dev.approdo.invalid",
		Recipients: []pec.Recipient{
			{Address: "protocollo@pec.comune.sesto.example.it", Kind: "certificato"},
			{Address: "segreteria@scuola.example.it", Kind: "esterno"},
		},
		Subject:  "Proposta di iscrizione: attività di accoglienza",
		Provider: "Approdo dev PEC",
		Time:     time.Date(2026, 7, 14, 9, 5, 7, 0, rome),
		ID:       "opec-dev.1a2b3c@pec.dev.approdo.invalid",
		MsgID:    "notice-7f3a.3@approdo.example.it",
	}
	switch t {
	case pec.AvvenutaConsegna:
		d.Delivery = "protocollo@pec.comune.sesto.example.it"
	case pec.PreavvisoErroreConsegna, pec.ErroreConsegna:
		d.Error = "no-dest"
		d.Delivery = "protocollo@pec.comune.sesto.example.it"
		d.ErrorDetail = "5.1.1 - Casella di destinazione non raggiungibile"
	case pec.NonAccettazione:
		d.Error = "altro"
		d.ErrorDetail = "Messaggio privo dell'intestazione Message-ID"
	case pec.RilevazioneVirus:
		d.Error = "virus"
		d.ErrorDetail = "Eicar-Test-Signature"
	}
	return d
}

var allTypes = []pec.Type{
	pec.Accettazione, pec.NonAccettazione, pec.PresaInCarico, pec.AvvenutaConsegna,
	pec.ErroreConsegna, pec.PreavvisoErroreConsegna, pec.RilevazioneVirus, pec.PostaCertificata,
}

// requireSameDaticert compares two receipts, the time as an instant: a parsed time has a
// zone named by its offset only.
func requireSameDaticert(t *testing.T, want, got pec.Daticert) {
	t.Helper()
	require.True(t, want.Time.Equal(got.Time), "time: want %v, got %v", want.Time, got.Time)
	_, wantOffset := want.Time.Zone()
	_, gotOffset := got.Time.Zone()
	require.Equal(t, wantOffset, gotOffset, "the offset is kept")
	want.Time, got.Time = time.Time{}, time.Time{}
	require.Equal(t, want, got)
}

func TestMarshalDaticertRoundTrip(t *testing.T) {
	t.Parallel()
	for _, typ := range allTypes {
		d := sample(typ)
		data, err := pec.MarshalDaticert(d)
		require.NoError(t, err, typ)
		got, err := pec.ParseDaticert(data)
		require.NoError(t, err, "%s:\n%s", typ, data)
		requireSameDaticert(t, d, got)
	}
}

func TestMarshalDaticertWritesTheFixtures(t *testing.T) {
	t.Parallel()
	// The fixtures are receipts in the published format: parsing one and writing it back
	// must give the same bytes.
	for _, name := range []string{"accettazione.xml", "non-accettazione.xml", "avvenuta-consegna.xml", "errore-consegna.xml", "preavviso-errore-consegna.xml"} {
		d, err := pec.ParseDaticert(fixture(t, name))
		require.NoError(t, err)
		data, err := pec.MarshalDaticert(d)
		require.NoError(t, err)
		require.Equal(t, string(fixture(t, name)), string(data), name)
	}
}

func TestMarshalDaticertSummerTime(t *testing.T) {
	t.Parallel()
	d := sample(pec.Accettazione)
	data, err := pec.MarshalDaticert(d)
	require.NoError(t, err)
	require.Contains(t, string(data), `<data zona="+0200">`, "July in Rome is UTC+2")
	require.Contains(t, string(data), "<giorno>14/07/2026</giorno>")
	require.Contains(t, string(data), "<ora>09:05:07</ora>")
	require.Contains(t, string(data), "<msgid>&lt;notice-7f3a.3@approdo.example.it&gt;</msgid>")
	require.True(t, strings.HasPrefix(string(data), `<?xml version="1.0" encoding="UTF-8"?>`))
}

func TestMarshalDaticertDefaults(t *testing.T) {
	t.Parallel()
	d := sample(pec.Accettazione)
	d.Error = ""
	d.Recipients = []pec.Recipient{{Address: "a@pec.example.it"}}
	data, err := pec.MarshalDaticert(d)
	require.NoError(t, err)
	require.Contains(t, string(data), `errore="nessuno"`)
	require.Contains(t, string(data), `<destinatari tipo="certificato">a@pec.example.it</destinatari>`)

	d = sample(pec.Accettazione)
	d.MsgID = "<with-angles@approdo.example.it>"
	got, err := pec.ParseDaticert(must(pec.MarshalDaticert(d)))
	require.NoError(t, err)
	require.Equal(t, "with-angles@approdo.example.it", got.MsgID)
}

func must(data []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return data
}

func TestMarshalDaticertRefuses(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*pec.Daticert){
		"unknown tipo":    func(d *pec.Daticert) { d.Type = "boh" },
		"unknown errore":  func(d *pec.Daticert) { d.Error = "forse" },
		"no msgid":        func(d *pec.Daticert) { d.MsgID = "" },
		"msgid with CRLF": func(d *pec.Daticert) { d.MsgID = "a@b>\r\nX: y" },
		"no time":         func(d *pec.Daticert) { d.Time = time.Time{} },
		"no sender":       func(d *pec.Daticert) { d.Sender = "" },
		"no recipients":   func(d *pec.Daticert) { d.Recipients = nil },
		"unknown kind":    func(d *pec.Daticert) { d.Recipients[0].Kind = "ordinario" },
	} {
		d := sample(pec.AvvenutaConsegna)
		change(&d)
		_, err := pec.MarshalDaticert(d)
		require.Error(t, err, name)
	}
}

// isXMLChar is XML 1.0's production Char: what a document can carry at all.
func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= utf8.MaxRune)
}

// FuzzMarshalDaticertSubject checks that a subject, the sender's free text, is escaped:
// whatever it holds, the daticert.xml parses, certifies the same message, and carries
// the subject back (what XML cannot carry at all becomes U+FFFD).
func FuzzMarshalDaticertSubject(f *testing.F) {
	for _, seed := range []string{
		"Proposta di iscrizione: attività",
		`a < b & "c" 'd' > e`,
		"</oggetto></intestazione><dati><msgid>&lt;evil@x&gt;</msgid>",
		"]]><!-- --><![CDATA[x]]>",
		"&boom; &amp; &#0;",
		"riga\r\nseconda\triga",
		"  spazi  ",
		"\x00\x07\x1b\uFFFE",
		"\xff\xfe latin1: attivit\xe0",
		"😀 emoji",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, subject string) {
		d := sample(pec.AvvenutaConsegna)
		d.Subject = subject
		data, err := pec.MarshalDaticert(d)
		require.NoError(t, err)
		got, err := pec.ParseDaticert(data)
		require.NoError(t, err, "%q:\n%s", subject, data)
		require.Equal(t, d.MsgID, got.MsgID)
		require.Equal(t, d.ID, got.ID)
		require.Equal(t, d.Delivery, got.Delivery)
		require.Equal(t, d.Recipients, got.Recipients)

		want := strings.Map(func(r rune) rune {
			if isXMLChar(r) {
				return r
			}
			return utf8.RuneError
		}, strings.ToValidUTF8(subject, string(utf8.RuneError)))
		require.Equal(t, strings.TrimSpace(want), got.Subject)
	})
}

// parsedReceipt is a composed receipt read back with the standard library only, as a
// client that knows nothing of how it was written would.
type parsedReceipt struct {
	header   mail.Header
	subject  string
	text     string
	daticert pec.Daticert
}

func parseReceipt(t *testing.T, raw []byte) parsedReceipt {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/mixed", mediaType)
	out := parsedReceipt{header: msg.Header, subject: subject}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	found := false
	for {
		part, err := parts.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		body, err := io.ReadAll(part)
		require.NoError(t, err)
		partType, partParams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		require.NoError(t, err)
		switch {
		case part.FileName() == "daticert.xml":
			require.Equal(t, "application/xml", partType)
			require.Equal(t, "base64", part.Header.Get("Content-Transfer-Encoding"))
			xml, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(body), "\r\n", ""))
			require.NoError(t, err)
			out.daticert, err = pec.ParseDaticert(xml)
			require.NoError(t, err)
			found = true
		case partType == "text/plain":
			require.Equal(t, "utf-8", strings.ToLower(partParams["charset"]))
			out.text = string(body) // multipart decodes quoted-printable
		}
	}
	require.True(t, found, "daticert.xml attached")
	return out
}

func TestComposeReceipt(t *testing.T) {
	t.Parallel()
	const provider, sender = "posta-certificata@pec.dev.approdo.invalid", "approdo@pec.dev.approdo.invalid"
	subjects := map[pec.Type]string{
		pec.Accettazione:            "ACCETTAZIONE: ",
		pec.NonAccettazione:         "AVVISO DI NON ACCETTAZIONE: ",
		pec.PresaInCarico:           "PRESA IN CARICO: ",
		pec.AvvenutaConsegna:        "CONSEGNA: ",
		pec.ErroreConsegna:          "AVVISO DI MANCATA CONSEGNA: ",
		pec.PreavvisoErroreConsegna: "AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ",
		pec.RilevazioneVirus:        "PROBLEMA DI SICUREZZA: ",
	}
	for typ, prefix := range subjects {
		d := sample(typ)
		raw, err := pec.ComposeReceipt(d, provider, sender)
		require.NoError(t, err, typ)
		requireCRLF(t, raw)

		r := parseReceipt(t, raw)
		require.Equal(t, prefix+d.Subject, r.subject, "a non-ASCII subject survives RFC 2047")
		require.Equal(t, "<"+provider+">", r.header.Get("From"))
		require.Equal(t, "<"+sender+">", r.header.Get("To"))
		require.Equal(t, string(typ), r.header.Get("X-Ricevuta"))
		require.Equal(t, "<notice-7f3a.3@approdo.example.it>", r.header.Get("X-Riferimento-Message-ID"))
		require.Regexp(t, `^<receipt\.[a-z2-7]{26}@pec\.dev\.approdo\.invalid>$`, r.header.Get("Message-Id"))
		date, err := r.header.Date()
		require.NoError(t, err)
		require.True(t, date.Equal(d.Time))
		gotType, ref, ok := pec.ReceiptHeaders(r.header.Get)
		require.True(t, ok)
		require.Equal(t, typ, gotType)
		require.Equal(t, d.MsgID, ref)

		requireSameDaticert(t, d, r.daticert)
		require.Contains(t, r.text, "Il giorno 14/07/2026 alle ore 09:05:07 (+0200)")
		require.Contains(t, r.text, `"`+d.Subject+`" proveniente da "`+sender+`"`)
		require.Contains(t, r.text, "Identificativo messaggio: "+d.ID)
	}
}

func TestComposeReceiptTexts(t *testing.T) {
	t.Parallel()
	for typ, want := range map[pec.Type]string{
		pec.Accettazione:            "è stato accettato dal sistema ed inoltrato.",
		pec.AvvenutaConsegna:        `ed indirizzato a "protocollo@pec.comune.sesto.example.it" è stato consegnato nella casella di destinazione.`,
		pec.ErroreConsegna:          "è stato rilevato un errore: 5.1.1 - Casella di destinazione non raggiungibile.\nIl messaggio non è stato consegnato.",
		pec.PreavvisoErroreConsegna: "non è stato consegnato entro le prime 12 ore",
		pec.NonAccettazione:         "Il messaggio non è stato accettato.",
	} {
		raw, err := pec.ComposeReceipt(sample(typ), "posta-certificata@pec.dev.approdo.invalid", "approdo@pec.dev.approdo.invalid")
		require.NoError(t, err)
		text := strings.ReplaceAll(parseReceipt(t, raw).text, "\r\n", "\n")
		require.Contains(t, text, want, typ)
	}
	raw, err := pec.ComposeReceipt(sample(pec.Accettazione), "posta-certificata@pec.dev.approdo.invalid", "approdo@pec.dev.approdo.invalid")
	require.NoError(t, err)
	text := parseReceipt(t, raw).text
	require.Contains(t, text, `protocollo@pec.comune.sesto.example.it ("posta certificata")`)
	require.Contains(t, text, `segreteria@scuola.example.it ("posta ordinaria")`)
}

func TestComposeReceiptHostileSubject(t *testing.T) {
	t.Parallel()
	d := sample(pec.AvvenutaConsegna)
	d.Subject = "Iscrizione\r\nBcc: tutti@example.org\r\n\r\ncorpo finto " + strings.Repeat("parola ", 40)
	raw, err := pec.ComposeReceipt(d, "posta-certificata@pec.dev.approdo.invalid", "approdo@pec.dev.approdo.invalid")
	require.NoError(t, err)
	requireCRLF(t, raw)
	r := parseReceipt(t, raw)
	require.Empty(t, r.header.Get("Bcc"), "a subject cannot add a header")
	require.Equal(t, "CONSEGNA: "+d.Subject, r.subject)
	for _, line := range strings.Split(string(raw), "\r\n") {
		require.LessOrEqual(t, len(line), 78, "lines are folded: %q", line)
	}
}

func TestComposeReceiptRefuses(t *testing.T) {
	t.Parallel()
	const provider, sender = "posta-certificata@pec.dev.approdo.invalid", "approdo@pec.dev.approdo.invalid"
	_, err := pec.ComposeReceipt(sample(pec.PostaCertificata), provider, sender)
	require.Error(t, err, "the envelope of a certified message is not a receipt")
	bad := sample(pec.Accettazione)
	bad.MsgID = ""
	_, err = pec.ComposeReceipt(bad, provider, sender)
	require.Error(t, err)
	_, err = pec.ComposeReceipt(sample(pec.Accettazione), provider+"\r\nBcc: x@y", sender)
	require.Error(t, err)
	_, err = pec.ComposeReceipt(sample(pec.Accettazione), provider, "non un indirizzo")
	require.Error(t, err)
}

// requireCRLF checks that every line of a message ends in CRLF, as RFC 5322 requires.
func requireCRLF(t *testing.T, raw []byte) {
	t.Helper()
	require.True(t, bytes.HasSuffix(raw, []byte("\r\n")))
	require.Equal(t, bytes.Count(raw, []byte("\n")), bytes.Count(raw, []byte("\r\n")), "no bare LF")
	require.Equal(t, bytes.Count(raw, []byte("\r")), bytes.Count(raw, []byte("\r\n")), "no bare CR")
}
