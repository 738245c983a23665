package api

import "testing"

func TestNulFieldNamesTheStringWithANUL(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"note":"a\u0000b"}`:                               "note",
		`{"minor":{"givenName":"x","familyName":"\u0000"}}`: "minor.familyName",
		`{"actions":["ok","\u0000"]}`:                       "actions.1",
		`{"a":{"b":1},"c":[1,{"d":"\u0000"}]}`:              "c.1.d",
		`"\u0000"`:                                          "body",
		`{"k\u0000":1}`:                                     "k\x00",
	} {
		got, found := nulField([]byte(body))
		if !found || got != want {
			t.Errorf("%s: %q %v, want %q", body, got, found, want)
		}
	}
	for _, body := range []string{`{"note":"\\u0000"}`, `{"note":"a"}`, `{"note":`} {
		if got, found := nulField([]byte(body)); found {
			t.Errorf("%s: found %q", body, got)
		}
	}
}
