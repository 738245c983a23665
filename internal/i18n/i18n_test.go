package i18n

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func TestEmbeddedCatalogsAreComplete(t *testing.T) {
	t.Parallel()
	c, err := Load()
	require.NoError(t, err)
	require.NoError(t, c.Check())
	require.NotPanics(t, func() { Default() })
	require.Equal(t, []string{"it", "ar", "en", "uk"}, c.Languages())
	require.Equal(t, []string{"it", "ar", "en", "uk"}, c.AreaLanguages("notices.family"), "families are told in four languages")
	require.Equal(t, []string{"it"}, c.AreaLanguages("notices.staff"), "organisations in Italian")
	require.Equal(t, []string{"it"}, c.AreaLanguages("account"))
	require.True(t, c.Has("notices.staff.case_assigned.subject"))
	require.False(t, c.Has("notices.staff.nothing.subject"))
}

// TestEveryMessageRendersInEveryLanguage renders every key of every file with data holding
// the fields its Italian message reads: a translation reading another field, or one that
// does not render, fails here rather than in a family's mailbox.
func TestEveryMessageRendersInEveryLanguage(t *testing.T) {
	t.Parallel()
	c := Default()
	rendered := 0
	for _, f := range c.files {
		l := c.Localizer(f.lang.String())
		require.Equal(t, f.lang.String(), l.Lang(), f.name)
		for _, m := range f.messages {
			original := m
			if italian, ok := c.italianFile(f.area); ok {
				original, ok = italian.message(m.ID)
				require.True(t, ok, "%s: %s", f.name, m.ID)
			}
			fields, err := messageFields(original)
			require.NoError(t, err)
			data := sampleData(fields)
			if m.One != "" || m.Few != "" || m.Many != "" {
				for _, n := range []int{0, 1, 2, 5, 11, 21} {
					data["PluralCount"] = n
					require.NotEqual(t, m.ID, l.Plural(m.ID, n, data), "%s: %s with %d", f.name, m.ID, n)
				}
				continue
			}
			text, err := l.Localize(m.ID, data)
			require.NoError(t, err, "%s: %s", f.name, m.ID)
			require.NotEmpty(t, strings.TrimSpace(text), "%s: %s", f.name, m.ID)
			require.NotContains(t, text, "<no value>", "%s: %s", f.name, m.ID)
			require.Equal(t, text, l.T(m.ID, data))
			rendered++
		}
	}
	require.GreaterOrEqual(t, rendered, 2*(21+4+4), "every subject and body of the notices and account messages")
}

func (c *Catalog) italianFile(area string) (file, bool) {
	for _, f := range c.files {
		if f.area == area && f.lang == italianTag {
			return f, true
		}
	}
	return file{}, false
}

// sampleData has a value for each field, nested for "Placement.School".
func sampleData(fields []string) map[string]any {
	data := map[string]any{}
	for _, field := range fields {
		m := data
		parts := strings.Split(field, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		if _, ok := m[parts[len(parts)-1]]; !ok {
			m[parts[len(parts)-1]] = "«" + field + "»"
		}
	}
	return data
}

func TestTheReaderGetsTheBestSupportedLanguage(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, tc := range []struct {
		asked []string
		want  string
	}{
		{[]string{"uk-UA"}, "uk"},
		{[]string{"ar-EG"}, "ar"},
		{[]string{"en-GB"}, "en"},
		{[]string{"EN"}, "en"},
		{[]string{"it-IT"}, "it"},
		{[]string{"ukr"}, "uk"},   // ISO 639-2, as some forms send it
		{[]string{"uk_UA"}, "uk"}, // a POSIX locale
		{[]string{"ti-ER"}, "it"}, // Tigrinya: no catalog, Italian (not English, which x/text would offer)
		{[]string{"ti", "ar"}, "ar"},
		{[]string{"fa"}, "it"}, // Persian is written in the Arabic script, but is not Arabic
		{[]string{"ru"}, "it"},
		{[]string{"und-EG"}, "it"}, // no language named
		{[]string{"zz-not a tag"}, "it"},
		{[]string{""}, "it"},
		{nil, "it"},
		{[]string{"fr-FR,fr;q=0.9,en;q=0.8"}, "en"}, // an Accept-Language header
		{[]string{"de", "ar"}, "ar"},
		{[]string{"en", "uk"}, "en"},
	} {
		require.Equal(t, tc.want, c.Localizer(tc.asked...).Lang(), "%q", tc.asked)
	}
	require.Equal(t, "rtl", c.Localizer("ar").Dir())
	require.Equal(t, "ltr", c.Localizer("uk").Dir())
	require.Equal(t, "ltr", c.Localizer("it").Dir())

	require.Equal(t, "uk", c.LocalizerFor("notices.family", "uk-UA").Lang())
	require.Equal(t, "it", c.LocalizerFor("notices.staff", "uk-UA").Lang(), "an area only in Italian is read in Italian")
	require.Equal(t, "it", c.LocalizerFor("no.such.area", "uk").Lang())
}

func TestAMissingMessageNeverPanics(t *testing.T) {
	t.Parallel()
	c, err := LoadFS(fstest.MapFS{
		"web.it.toml": {Data: []byte("[web]\ntitle = \"Casi\"\ngreeting = \"Buongiorno {{.Name}}\"\nonly_it = \"Solo italiano\"\n")},
		"web.en.toml": {Data: []byte("[web]\ntitle = \"Cases\"\ngreeting = \"Good morning {{.Name}}\"\n")},
	})
	require.NoError(t, err)
	en := c.Localizer("en")
	require.Equal(t, "Cases", en.T("web.title", nil))

	require.Equal(t, "web.nothing", en.T("web.nothing", nil), "an unknown key shows itself")
	_, err = en.Localize("web.nothing", nil)
	require.Error(t, err)

	require.Equal(t, "Solo italiano", en.T("web.only_it", nil), "a missing translation comes in Italian")
	text, err := en.Localize("web.only_it", nil)
	require.Error(t, err, "and Localize says so")
	require.Equal(t, "Solo italiano", text)

	require.Equal(t, "web.greeting", en.T("web.greeting", map[string]any{}), "data without the field")
	_, err = en.Localize("web.greeting", struct{ Other string }{})
	require.Error(t, err)
	require.Equal(t, "Good morning Ada", en.T("web.greeting", struct{ Name string }{"Ada"}))

	require.ErrorContains(t, c.Check(), "web.en.toml: web.only_it of web.it.toml is missing")
}

func TestPluralFormsFollowTheLanguage(t *testing.T) {
	t.Parallel()
	c, err := LoadFS(fstest.MapFS{
		"web.it.toml": {Data: []byte("[web.cases]\none = \"{{.PluralCount}} caso\"\nother = \"{{.PluralCount}} casi\"\n")},
		"web.uk.toml": {Data: []byte("[web.cases]\none = \"{{.PluralCount}} справа\"\nfew = \"{{.PluralCount}} справи\"\nmany = \"{{.PluralCount}} справ\"\nother = \"{{.PluralCount}} справи\"\n")},
	})
	require.NoError(t, err)
	require.NoError(t, c.Check())
	it, uk := c.Localizer("it"), c.Localizer("uk")
	require.Equal(t, "1 caso", it.Plural("web.cases", 1, nil))
	require.Equal(t, "0 casi", it.Plural("web.cases", 0, nil))
	require.Equal(t, "3 casi", it.Plural("web.cases", 3, nil))
	require.Equal(t, "21 справа", uk.Plural("web.cases", 21, nil))
	require.Equal(t, "3 справи", uk.Plural("web.cases", 3, nil))
	require.Equal(t, "5 справ", uk.Plural("web.cases", 5, nil))
	require.Equal(t, "web.none", uk.Plural("web.none", 5, nil))
}

func TestCheckFindsWhatIsWrong(t *testing.T) {
	t.Parallel()
	c, err := LoadFS(fstest.MapFS{
		"notices.it.toml": {Data: []byte("[notices.a]\nsubject = \"Avviso {{.CaseID}}\"\nbody = \"Vai a {{.Link}}\"\n" +
			"[notices.b]\nsubject = \"Rotto {{.CaseID\"\n")},
		"notices.en.toml": {Data: []byte("[notices.a]\nsubject = \"Notice {{.CaseId}}\"\n[notices.c]\nsubject = \"Extra\"\n[notices.b]\nsubject = \"Broken\"\n")},
		"web.en.toml":     {Data: []byte("[web]\ntitle = \"Cases\"\n")},
	})
	require.NoError(t, err, "loading does not judge the contents")
	err = c.Check()
	require.Error(t, err)
	for _, want := range []string{
		"area web has no Italian file (web.it.toml)",
		"notices.it.toml: notices.b.subject: template: notices.b.subject:1: unclosed action",
		"notices.en.toml: notices.a.subject uses {{.CaseId}}, which notices.it.toml does not",
		"notices.en.toml: notices.c.subject is not in notices.it.toml",
		"notices.en.toml: notices.a.body of notices.it.toml is missing",
	} {
		require.Contains(t, err.Error(), want)
	}
	require.NotContains(t, err.Error(), "notices.b.subject of", "a broken Italian template is reported once")
}

func TestLoadRefusesFilesItCannotPlace(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		files fstest.MapFS
		want  string
	}{
		"no language":       {fstest.MapFS{"notices.toml": {Data: []byte("")}}, "name it <area>.<lang>.toml"},
		"no area":           {fstest.MapFS{".it.toml": {Data: []byte("")}}, "name it <area>.<lang>.toml"},
		"not a language":    {fstest.MapFS{"web.italiano.toml": {Data: []byte("")}}, `language "italiano"`},
		"not canonical":     {fstest.MapFS{"web.IT.toml": {Data: []byte("")}}, `write the language as "it"`},
		"broken TOML":       {fstest.MapFS{"web.it.toml": {Data: []byte("[web\ntitle = 1")}}, "catalog web.it.toml"},
		"key of other area": {fstest.MapFS{"web.it.toml": {Data: []byte("[account]\ntitle = \"x\"\n")}}, `key "account.title" must start with "web."`},
		"key in two areas": {fstest.MapFS{
			"notices.it.toml":        {Data: []byte("[notices.family.x]\nsubject = \"x\"\n")},
			"notices.family.it.toml": {Data: []byte("[notices.family.x]\nsubject = \"y\"\n")},
		}, `key "notices.family.x.subject" is also in notices.family.it.toml`},
	} {
		_, err := LoadFS(tc.files)
		require.ErrorContains(t, err, tc.want, name)
	}
}
