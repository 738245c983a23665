package pecinbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pec"
)

const (
	noticeMsgID = "notice-7f3a.3@approdo.example.it"
	destAddr    = "protocollo@pec.comune.sesto.example.it"
	provider    = "Gestore PEC di esempio S.p.A."
	oggetto     = "Iscrizione scolastica: credenziali di accesso"
)

var issued = time.Date(2026, 11, 23, 10, 15, 30, 0, time.FixedZone("+0100", 3600))

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

func TestParseReceiptEachType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, errore, detail string
		typ                  pec.Type
	}{
		{"accettazione.eml", "nessuno", "", pec.Accettazione},
		{"non-accettazione.eml", "altro", "Messaggio non accettato: dimensione eccessiva", pec.NonAccettazione},
		{"presa-in-carico.eml", "nessuno", "", pec.PresaInCarico},
		{"avvenuta-consegna.eml", "nessuno", "", pec.AvvenutaConsegna},
		{"errore-consegna.eml", "no-dest", "5.1.1 - Casella di destinazione inesistente", pec.ErroreConsegna},
		{"preavviso-errore-consegna.eml", "altro", "4.4.7 - Consegna non avvenuta entro 12 ore", pec.PreavvisoErroreConsegna},
		{"rilevazione-virus.eml", "virus", "Virus informatico rilevato nel messaggio", pec.RilevazioneVirus},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			r, err := ParseReceipt(fixture(t, tc.file))
			require.NoError(t, err)
			require.Equal(t, Receipt{
				Type:             tc.typ,
				MsgID:            noticeMsgID,
				ReceiptMessageID: "ricevuta-" + string(tc.typ) + ".20261123101530@pec.example.it",
				Recipient:        destAddr,
				Error:            tc.errore,
				ErrorDetail:      tc.detail,
				Time:             r.Time,
				Provider:         provider,
				Subject:          oggetto,
			}, r)
			require.True(t, r.Time.Equal(issued), "%v", r.Time)
		})
	}
}

// A real delivery receipt: S/MIME multipart/signed, text and HTML alternatives, the
// original message (itself carrying a decoy daticert.xml) as postacert.eml.
func TestParseReceiptSignedNested(t *testing.T) {
	t.Parallel()
	r, err := ParseReceipt(fixture(t, "avvenuta-consegna-signed.eml"))
	require.NoError(t, err)
	require.Equal(t, pec.AvvenutaConsegna, r.Type)
	require.Equal(t, noticeMsgID, r.MsgID)
	require.Equal(t, "ricevuta-signed.20261123101530@pec.example.it", r.ReceiptMessageID)
	require.Equal(t, destAddr, r.Recipient)
	require.Equal(t, "nessuno", r.Error)
}

// The daticert.xml is text/xml; charset=iso-8859-1 and says encoding="ISO-8859-1": it
// must be decoded once, not twice.
func TestParseReceiptLatin1(t *testing.T) {
	t.Parallel()
	r, err := ParseReceipt(fixture(t, "avvenuta-consegna-latin1.eml"))
	require.NoError(t, err)
	require.Equal(t, pec.AvvenutaConsegna, r.Type)
	require.Equal(t, "Proposta di iscrizione: attività di accoglienza", r.Subject)
	require.Equal(t, destAddr, r.Recipient)
}

func TestParseReceiptCRLF(t *testing.T) {
	t.Parallel()
	r, err := ParseReceipt(crlf(fixture(t, "avvenuta-consegna-signed.eml")))
	require.NoError(t, err)
	require.Equal(t, pec.AvvenutaConsegna, r.Type)
	require.Equal(t, noticeMsgID, r.MsgID)
}

func TestParseReceiptMsgIDFromDaticert(t *testing.T) {
	t.Parallel()
	r, err := ParseReceipt(fixture(t, "accettazione-no-riferimento.eml"))
	require.NoError(t, err)
	require.Equal(t, pec.Accettazione, r.Type)
	require.Equal(t, noticeMsgID, r.MsgID)
}

func TestParseReceiptNotReceipt(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"posta-certificata.eml", "plain.eml"} {
		_, err := ParseReceipt(fixture(t, file))
		require.ErrorIs(t, err, ErrNotReceipt, file)
		require.NotErrorIs(t, err, ErrMalformed, file)
	}
	_, err := ParseReceipt([]byte("X-Ricevuta: posta-certificata\r\n\r\nbody"))
	require.ErrorIs(t, err, ErrNotReceipt)
	_, err = ParseReceipt([]byte("X-Ricevuta: conferma-lettura\r\n\r\nbody"))
	require.ErrorIs(t, err, ErrNotReceipt)
}

func TestParseReceiptMalformed(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"malformed-no-daticert.eml":    "no daticert.xml",
		"malformed-bad-xml.eml":        "daticert.xml: not a PEC daticert.xml",
		"malformed-type-mismatch.eml":  "X-Ricevuta says avvenuta-consegna but daticert.xml says accettazione",
		"malformed-msgid-mismatch.eml": "X-Riferimento-Message-ID differs from the msgid of daticert.xml",
		"malformed-bad-base64.eml":     "reading daticert.xml",
		"malformed-bad-date.eml":       "bad data",
		"malformed-no-boundary.eml":    "multipart/mixed without a boundary",
		"malformed-too-deep.eml":       "nested deeper than 8 levels",
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			_, err := ParseReceipt(fixture(t, file))
			require.ErrorIs(t, err, ErrMalformed)
			require.ErrorContains(t, err, want)
		})
	}
}

// The reasons may end up in logs: they name what is wrong, not what the message says.
func TestParseReceiptErrorsQuoteNoAddresses(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/malformed-*.eml")
	require.NoError(t, err)
	for _, f := range files {
		_, err := ParseReceipt(fixture(t, filepath.Base(f)))
		require.Error(t, err)
		require.NotContains(t, err.Error(), "@", f)
	}
}

func TestParseReceiptNesting(t *testing.T) {
	t.Parallel()
	_, err := ParseReceipt(nested(maxDepth))
	require.NoError(t, err, "as deep as allowed")
	_, err = ParseReceipt(nested(maxDepth + 1))
	require.ErrorIs(t, err, ErrMalformed)
}

func TestParseReceiptTooManyParts(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	b.WriteString("X-Ricevuta: accettazione\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n")
	for range maxParts + 1 {
		b.WriteString("--B\r\nContent-Type: text/plain\r\n\r\nx\r\n")
	}
	b.WriteString("--B--\r\n")
	_, err := ParseReceipt(b.Bytes())
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorContains(t, err, "more than 100 MIME parts")
}

func TestParseReceiptTooLarge(t *testing.T) {
	t.Parallel()
	raw := append(fixture(t, "accettazione.eml"), bytes.Repeat([]byte("x"), MaxMessageSize)...)
	_, err := ParseReceipt(raw)
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestParseReceiptGarbage(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "\r\n", "no header at all", "X-Ricevuta: accettazione\r\n", "X-Ricevuta accettazione\r\n\r\n"} {
		_, err := ParseReceipt([]byte(raw))
		require.Error(t, err, "%q", raw)
	}
}

func TestHeaderMessageID(t *testing.T) {
	t.Parallel()
	require.Equal(t, "offerte-1@example.com", headerMessageID(fixture(t, "plain.eml")))
	require.Equal(t, "x", headerMessageID([]byte("Message-ID: x\r\n\r\n")))
	require.Empty(t, headerMessageID(nil))
}

// FuzzParseReceipt checks that no message makes ParseReceipt panic (or hit the panic
// guard) and that what it accepts is a consistent receipt.
func FuzzParseReceipt(f *testing.F) {
	files, err := filepath.Glob("testdata/*.eml")
	require.NoError(f, err)
	for _, file := range files {
		f.Add(fixture(f, filepath.Base(file)))
	}
	f.Add(nested(maxDepth))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := ParseReceipt(raw)
		if errors.Is(err, errParserFailure) {
			t.Fatalf("parser panicked: %v", err)
		}
		if err != nil {
			return
		}
		if r.Type == "" || r.Type == pec.PostaCertificata || r.MsgID == "" || r.Time.IsZero() {
			t.Fatalf("accepted an inconsistent receipt: %+v", r)
		}
	})
}

// nested builds a delivery receipt whose daticert.xml sits inside depth multiparts.
func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString("X-Ricevuta: avvenuta-consegna\r\nX-Riferimento-Message-ID: <" + noticeMsgID + ">\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=L%d\r\n\r\n--L%d\r\n", i, i)
	}
	b.WriteString("Content-Type: application/xml; name=daticert.xml\r\n\r\n")
	b.WriteString(`<postacert tipo="avvenuta-consegna" errore="nessuno"><dati>` +
		`<data zona="+0100"><giorno>23/11/2026</giorno><ora>10:15:30</ora></data>` +
		`<msgid>&lt;` + noticeMsgID + `&gt;</msgid></dati></postacert>` + "\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--L%d--\r\n", i)
	}
	return []byte(b.String())
}

// crlf gives a message the line endings it has on the wire and in a real mailbox.
func crlf(raw []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

// A complete delivery receipt carries the original message (here a notice of
// credentials); what is kept of it is the header and the daticert, which still parse
// to the same receipt.
func TestEvidenceLeavesOutTheOriginalMessage(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"avvenuta-consegna-signed.eml", "avvenuta-consegna-latin1.eml", "accettazione.eml"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw := fixture(t, name)
			want, err := ParseReceipt(raw)
			require.NoError(t, err)
			kept, err := Evidence(raw)
			require.NoError(t, err)
			require.NotContains(t, string(kept), "postacert.eml")
			require.NotContains(t, string(kept), "Si trasmettono le credenziali")
			require.NotContains(t, string(kept), "not-the-receipt-daticert")
			got, err := ParseReceipt(kept)
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}
