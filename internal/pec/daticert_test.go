package pec_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pec"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

func TestParseEachReceiptType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file     string
		typ      pec.Type
		errore   string
		delivery string
		detail   string
		failure  bool
	}{
		{"accettazione.xml", pec.Accettazione, "nessuno", "", "", false},
		{"non-accettazione.xml", pec.NonAccettazione, "altro", "", "Messaggio non accettato: dimensione eccessiva", true},
		{"avvenuta-consegna.xml", pec.AvvenutaConsegna, "nessuno", "protocollo@pec.comune.sesto.example.it", "", false},
		{"errore-consegna.xml", pec.ErroreConsegna, "no-dest", "protocollo@pec.comune.sesto.example.it", "5.1.1 - Casella di destinazione inesistente", true},
		{"preavviso-errore-consegna.xml", pec.PreavvisoErroreConsegna, "altro", "protocollo@pec.comune.sesto.example.it", "4.4.7 - Consegna non avvenuta entro 12 ore", true},
	}
	rome := time.FixedZone("+0100", 3600)
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			d, err := pec.ParseDaticert(fixture(t, tc.file))
			require.NoError(t, err)
			require.Equal(t, tc.typ, d.Type)
			require.Equal(t, tc.errore, d.Error)
			require.Equal(t, tc.failure, d.Type.IsFailure())
			require.Equal(t, "notice-7f3a.3@approdo.example.it", d.MsgID, "the Message-ID, without angle brackets")
			require.Equal(t, "opec21.20261123101530.04711.123.1.1@pec.example.it", d.ID)
			require.Equal(t, "approdo@pec.ust-milano.example.it", d.Sender)
			require.Equal(t, []pec.Recipient{{Address: "protocollo@pec.comune.sesto.example.it", Kind: "certificato"}}, d.Recipients)
			require.Equal(t, "Gestore PEC di esempio S.p.A.", d.Provider)
			require.True(t, d.Time.Equal(time.Date(2026, 11, 23, 10, 15, 30, 0, rome)), "%v", d.Time)
			require.Equal(t, tc.delivery, d.Delivery)
			require.Equal(t, tc.detail, d.ErrorDetail)
		})
	}
}

func TestLatin1Receipt(t *testing.T) {
	t.Parallel()
	d, err := pec.ParseDaticert(fixture(t, "avvenuta-consegna-latin1.xml"))
	require.NoError(t, err)
	require.Equal(t, "Proposta di iscrizione: attività di accoglienza", d.Subject)
}

func TestNotADaticert(t *testing.T) {
	t.Parallel()
	good := string(fixture(t, "avvenuta-consegna.xml"))
	for name, input := range map[string]string{
		"empty":         "",
		"html":          "<html><body>ciao</body></html>",
		"unknown tipo":  strings.Replace(good, `tipo="avvenuta-consegna"`, `tipo="consegnata-forse"`, 1),
		"no msgid":      strings.Replace(good, "<msgid>&lt;notice-7f3a.3@approdo.example.it&gt;</msgid>", "", 1),
		"bad date":      strings.Replace(good, "23/11/2026", "2026-11-23", 1),
		"truncated":     good[:len(good)/2],
		"entity":        strings.Replace(good, "<oggetto>", "<oggetto>&boom;", 1),
		"other charset": strings.Replace(good, `encoding="UTF-8"`, `encoding="KOI8-R"`, 1),
		"too big":       good + strings.Repeat(" ", 300<<10),
	} {
		_, err := pec.ParseDaticert([]byte(input))
		require.True(t, errors.Is(err, pec.ErrNotDaticert), "%s: %v", name, err)
	}
}

func TestReceiptHeaders(t *testing.T) {
	t.Parallel()
	headers := map[string]string{"X-Ricevuta": "avvenuta-consegna", "X-Riferimento-Message-ID": "<notice-7f3a.3@approdo.example.it>"}
	typ, ref, ok := pec.ReceiptHeaders(func(k string) string { return headers[k] })
	require.True(t, ok)
	require.Equal(t, pec.AvvenutaConsegna, typ)
	require.Equal(t, "notice-7f3a.3@approdo.example.it", ref)

	for _, value := range []string{"", "posta-certificata", "boh"} {
		_, _, ok := pec.ReceiptHeaders(func(k string) string {
			if k == "X-Ricevuta" {
				return value
			}
			return ""
		})
		require.False(t, ok, value)
	}
}

// FuzzParseDaticert feeds the parser arbitrary bytes, starting from the fixtures: it must
// answer with a Daticert or ErrNotDaticert, never panic, and what it accepts must be
// a receipt that can be matched.
func FuzzParseDaticert(f *testing.F) {
	for _, name := range []string{"accettazione.xml", "non-accettazione.xml", "avvenuta-consegna.xml", "errore-consegna.xml", "preavviso-errore-consegna.xml", "avvenuta-consegna-latin1.xml"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := pec.ParseDaticert(data)
		if err != nil {
			if !errors.Is(err, pec.ErrNotDaticert) {
				t.Fatalf("error not wrapping ErrNotDaticert: %v", err)
			}
			return
		}
		if d.MsgID == "" || d.Type == "" || d.Time.IsZero() {
			t.Fatalf("accepted a receipt that cannot be matched: %+v", d)
		}
	})
}
