// Package i18n holds Approdo's messages and labels and picks the language a reader gets.
//
// The texts live in catalogs, not in Go: one TOML file per area and language,
// locales/<area>.<lang>.toml (notices.staff.it.toml, notices.family.uk.toml, account.it.toml,
// web.it.toml…), embedded in the binary. Every key of a file starts with its area
// ("notices.family.placement_confirmed.subject" lives in notices.family.<lang>.toml), so
// people adding keys to different areas never touch the same file and no two areas can
// define the same key. Italian is the default language: every area has an Italian file,
// and an area written in more languages has the same keys in each (Check).
//
// Messages are Go text/template strings rendered with go-i18n; golang.org/x/text/language
// picks the best supported language from what the reader asked for ("uk-UA" → uk), falling
// back to Italian.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// Italian is the default language: of staff pages, of notices to organisations, and the
// fallback of every other reader.
const Italian = "it"

var italianTag = language.Make(Italian)

//go:embed locales/*.toml
var locales embed.FS

// Catalog is every message of every area in every language. It is read-only once loaded
// and safe for concurrent use.
type Catalog struct {
	bundle *goi18n.Bundle
	// langs are the languages any area is written in, Italian first; areas, those of
	// each area.
	langs   languages
	areas   map[string]languages
	files   []file
	italian map[string]bool // the keys of the Italian files
}

// languages are some supported languages, Italian first, and their matcher.
type languages struct {
	tags    []language.Tag
	matcher language.Matcher
}

func newLanguages(tags []language.Tag) languages {
	return languages{tags: tags, matcher: language.NewMatcher(tags)}
}

// file is one catalog file: the messages of an area in a language.
type file struct {
	name     string
	area     string
	lang     language.Tag
	messages []*goi18n.Message
}

// parser renders every message: one instance, because go-i18n caches a message's parsed
// template whatever the parser. A missing key of map data is an error, as a missing field
// of a struct is.
var parser = &template.TextParser{Option: "missingkey=error"}

// Load reads the embedded catalogs.
func Load() (*Catalog, error) {
	sub, err := fs.Sub(locales, "locales")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub)
}

// Default returns the embedded catalogs, loaded once. It panics if they cannot be read,
// which TestEmbeddedCatalogsAreComplete rules out before a build ships.
func Default() *Catalog {
	return defaultCatalog()
}

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := Load()
	if err != nil {
		panic(fmt.Sprintf("i18n: the embedded catalogs are broken: %v", err))
	}
	return c
})

// LoadFS reads every *.toml file at the root of fsys, each named <area>.<lang>.toml.
func LoadFS(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	it := italianTag
	c := &Catalog{bundle: goi18n.NewBundle(it), areas: map[string]languages{}, italian: map[string]bool{}}
	langs := []language.Tag{it}
	owner := map[language.Tag]map[string]string{} // language → key → file
	for _, name := range names {
		f, err := parseName(name)
		if err != nil {
			return nil, err
		}
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f.messages, err = c.bundle.ParseMessageBytes(f.lang, buf, toml.Unmarshal)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		if owner[f.lang] == nil {
			owner[f.lang] = map[string]string{}
		}
		for _, m := range f.messages {
			if !strings.HasPrefix(m.ID, f.area+".") {
				return nil, fmt.Errorf("catalog %s: key %q must start with %q", name, m.ID, f.area+".")
			}
			if other, ok := owner[f.lang][m.ID]; ok {
				return nil, fmt.Errorf("catalog %s: key %q is also in %s", name, m.ID, other)
			}
			owner[f.lang][m.ID] = name
			if f.lang == it {
				c.italian[m.ID] = true
			}
		}
		slices.SortFunc(f.messages, func(a, b *goi18n.Message) int { return strings.Compare(a.ID, b.ID) })
		if !slices.Contains(langs, f.lang) {
			langs = append(langs, f.lang)
		}
		c.files = append(c.files, f)
	}
	slices.SortFunc(langs[1:], func(a, b language.Tag) int { return strings.Compare(a.String(), b.String()) })
	c.langs = newLanguages(langs)
	for _, f := range c.files {
		if _, done := c.areas[f.area]; done {
			continue
		}
		var tags []language.Tag
		for _, lang := range langs { // Italian first
			if slices.ContainsFunc(c.files, func(g file) bool { return g.area == f.area && g.lang == lang }) {
				tags = append(tags, lang)
			}
		}
		if tags[0] != it {
			tags = append([]language.Tag{it}, tags...) // an area without Italian falls back to it all the same
		}
		c.areas[f.area] = newLanguages(tags)
	}
	return c, nil
}

// parseName reads the area and language of a file called <area>.<lang>.toml; the area
// may itself have dots (notices.family).
func parseName(name string) (file, error) {
	stem := strings.TrimSuffix(path.Base(name), ".toml")
	dot := strings.LastIndex(stem, ".")
	if dot <= 0 {
		return file{}, fmt.Errorf("catalog %s: name it <area>.<lang>.toml", name)
	}
	lang, err := language.Parse(stem[dot+1:])
	if err != nil {
		return file{}, fmt.Errorf("catalog %s: language %q: %w", name, stem[dot+1:], err)
	}
	if lang.String() != stem[dot+1:] {
		return file{}, fmt.Errorf("catalog %s: write the language as %q", name, lang.String())
	}
	return file{name: name, area: stem[:dot], lang: lang}, nil
}

// Languages are the languages some area is written in, Italian first.
func (c *Catalog) Languages() []string {
	return tagStrings(c.langs.tags)
}

// AreaLanguages are the languages area is written in, Italian first (the fallback, even
// for an area that lacks its Italian file, which Check reports); none for an unknown area.
func (c *Catalog) AreaLanguages(area string) []string {
	return tagStrings(c.areas[area].tags)
}

// Has reports whether id is in the catalogs, in Italian.
func (c *Catalog) Has(id string) bool {
	return c.italian[id]
}

// Localizer renders messages in the supported language that best matches langs, each a
// language tag or an Accept-Language header ("uk-UA", "ar-EG", "en-GB,en;q=0.8"), the
// first preferred; Italian when none matches.
func (c *Catalog) Localizer(langs ...string) *Localizer {
	return c.localizer(c.langs, langs)
}

// LocalizerFor is Localizer choosing among the languages area is written in only, so
// that Lang names the language its messages really come in: a language that only the
// staff pages had would not be chosen for a family's notice.
func (c *Catalog) LocalizerFor(area string, langs ...string) *Localizer {
	supported, ok := c.areas[area]
	if !ok {
		supported = newLanguages(c.langs.tags[:1])
	}
	return c.localizer(supported, langs)
}

func (c *Catalog) localizer(supported languages, langs []string) *Localizer {
	lang := supported.tags[0]
	// Only the languages the reader named are candidates: the matcher would also offer a
	// language people of a region often read (English for Tigrinya, "ti-ER"), but a
	// family that did not ask for English gets Italian, the language of the offices it
	// deals with.
	var asked []language.Tag
	for _, t := range parseTags(langs) {
		base, confidence := t.Base()
		if confidence == language.Exact && slices.ContainsFunc(supported.tags, func(s language.Tag) bool { b, _ := s.Base(); return b == base }) {
			asked = append(asked, t)
		}
	}
	if len(asked) > 0 {
		// The index, not the returned tag: that may carry extensions (-u-rg-…).
		if _, i, confidence := supported.matcher.Match(asked...); confidence != language.No {
			lang = supported.tags[i]
		}
	}
	return &Localizer{lang: lang, l: goi18n.NewLocalizer(c.bundle, lang.String())}
}

// parseTags reads each preference as an Accept-Language header, or else as one tag
// (ISO 639-2 codes such as "ukr" and underscores as in "uk_UA" are understood too).
func parseTags(langs []string) []language.Tag {
	var tags []language.Tag
	for _, s := range langs {
		if parsed, _, err := language.ParseAcceptLanguage(s); err == nil {
			tags = append(tags, parsed...)
		} else if t, err := language.Parse(s); err == nil {
			tags = append(tags, t)
		}
	}
	return tags
}

// Localizer renders messages in one language. It is safe for concurrent use.
type Localizer struct {
	lang language.Tag
	l    *goi18n.Localizer
}

// Lang is the language the localizer writes in, e.g. "uk".
func (l *Localizer) Lang() string { return l.lang.String() }

// Dir is the direction of the language's script, for HTML's dir attribute: "rtl" for
// Arabic, "ltr" for Italian.
func (l *Localizer) Dir() string {
	script, _ := l.lang.Script()
	switch script.String() {
	case "Adlm", "Arab", "Hebr", "Mand", "Nkoo", "Rohg", "Samr", "Syrc", "Thaa", "Yezi":
		return "rtl"
	}
	return "ltr"
}

// Localize renders the message id with data (the fields its template uses). It fails for
// an id missing in the localizer's language, returning the Italian text if there is one,
// for an id not in the catalogs, and for a template that cannot be rendered with data.
func (l *Localizer) Localize(id string, data any) (string, error) {
	return l.l.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, TemplateParser: parser})
}

// T renders the message id with data and never fails: a message missing in the
// localizer's language comes in Italian, and one that cannot be rendered at all comes as
// its id, which a page shows plainly. The tests catch both before they ship (Check).
func (l *Localizer) T(id string, data any) string {
	text, err := l.Localize(id, data)
	return textOrID(text, err, id)
}

// Plural renders the plural form of id that count needs in the localizer's language (a
// message with one, few, many, other… variants). With nil data the template reads the
// count as {{.PluralCount}}. It never fails, as T.
func (l *Localizer) Plural(id string, count int, data any) string {
	text, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: data, TemplateParser: parser})
	return textOrID(text, err, id)
}

func textOrID(text string, err error, id string) string {
	if text == "" && err != nil {
		return id
	}
	return text
}

func tagStrings(tags []language.Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.String()
	}
	return out
}
