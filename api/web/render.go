package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/web/static"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

//go:embed templates
var templateFiles embed.FS

// pageSet holds one template per page: the layout and the partials, with the page's own
// "title" and "content" blocks.
type pageSet struct {
	pages map[string]*template.Template
}

// mustParsePages parses every page. The templates are embedded, so a broken one is a
// bug that the tests catch; it stops the process at start rather than at the first
// visit.
func mustParsePages(funcs template.FuncMap) *pageSet {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/*.html"))
	set := &pageSet{pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFiles, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFiles, name))
		set.pages[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	return set
}

// rome is the time zone of every date a page shows.
var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		// The Go distribution embeds no zone data unless asked to; time/tzdata is imported
		// by cmd, so this only happens in a build without it.
		panic("web: load Europe/Rome: " + err.Error())
	}
	return loc
}()

// view is what every page's template receives.
type view struct {
	// Session is the logged-in person's; nil on the login pages.
	Session *store.Session
	Org     casework.Org
	CSRF    string
	Path    string
	// Nav are the links of the header, by the organisation's kind.
	Nav []navItem
	// Alert is a message for the whole page, e.g. why an action was refused; Success one
	// that says an action was done.
	Alert, Success string
	// AlertLink, when set, leads from the alert to what it names.
	AlertLink *navItem
	// Errors are the wrong fields of a form, by field name; Values what was typed.
	Errors map[string]string
	Values map[string]string
	// Data is the page's own.
	Data any
}

type navItem struct {
	Href, Label string
	Current     bool
}

// render writes a page.
func (w *Web) render(c *gin.Context, status int, page string, v view) {
	t, ok := w.pages.pages[page]
	if !ok {
		w.log.ErrorContext(c.Request.Context(), "no such page template", "page", page)
		c.Status(http.StatusInternalServerError)
		return
	}
	if sess, ok := sessionOf(c); ok {
		v.Session = &sess
		v.Org = sess.User.Organisation
		v.CSRF = sess.CSRF
		v.Nav = navFor(sess.User.Organisation, c.Request.URL.Path)
		if sess.User.Role == store.RoleAdmin {
			v.Nav = append(v.Nav, navItem{Href: "/organizzazione", Label: "Organizzazione", Current: c.Request.URL.Path == "/organizzazione"})
		}
	}
	v.Path = c.Request.URL.Path
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	if v.Values == nil {
		v.Values = map[string]string{}
	}
	if v.Success == "" {
		if key := "web.outcome." + c.Query("esito"); c.Query("esito") != "" && w.catalog.Has(key) {
			v.Success = w.t(key)
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		w.log.ErrorContext(c.Request.Context(), "render page", "page", page, "error", err)
		c.Status(http.StatusInternalServerError)
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}

// navFor lists the header's links for an organisation's people.
func navFor(org casework.Org, current string) []navItem {
	items := []navItem{{Href: "/", Label: "Attività"}}
	switch org.Kind {
	case casework.OrgComune:
		items = append(items, navItem{Href: "/casi", Label: "Richieste"}, navItem{Href: "/casi/nuovo", Label: "Nuova richiesta"})
	case casework.OrgCTI, casework.OrgPoloStart:
		items = append(items, navItem{Href: "/casi", Label: "Casi"})
	case casework.OrgSchool:
		items = append(items, navItem{Href: "/casi", Label: "Casi"}, navItem{Href: "/casi/iscrizione-diretta", Label: "Iscrizione diretta"})
	case casework.OrgUST:
		items = append(items, navItem{Href: "/casi", Label: "Tutti i casi"}, navItem{Href: "/casi?fase=unrouted", Label: "Senza hub"},
			navItem{Href: "/monitoraggio", Label: "Monitoraggio"}, navItem{Href: "/monitoraggio/liste", Label: "Casi da seguire"},
			navItem{Href: "/accreditamento", Label: "Accreditamento"})
	case casework.OrgPrefettura:
		items = append(items, navItem{Href: "/famiglie", Label: "Invio famiglie"})
	case casework.OrgOneStopShop:
		items = append(items, navItem{Href: "/percorsi", Label: "Percorsi"}, navItem{Href: "/percorsi/segnalazione", Label: "Segnalazione"},
			navItem{Href: "/famiglie", Label: "Invio famiglie"})
	case casework.OrgOrientation:
		items = append(items, navItem{Href: "/interventi", Label: "Interventi"})
	default:
		items = append(items, navItem{Href: "/casi", Label: "Casi"})
	}
	for i := range items {
		items[i].Current = items[i].Href == current
	}
	return items
}

// funcs are the templates' helpers.
func (w *Web) funcs() template.FuncMap {
	return template.FuncMap{
		"t":        w.tArgs,
		"css":      func() string { return static.BootstrapItaliaCSS },
		"fontsCSS": func() string { return static.BootstrapItaliaFonts },
		"siteCSS":  static.SiteCSS,
		"siteJS":   static.SiteJS,
		"bundleJS": func() string { return static.BootstrapItaliaJS },
		"date":     formatDate,
		"datetime": formatDateTime,
		"label":    w.label,
		"orgName":  w.orgDisplayName,
		"fieldID":  fieldID,
		"dict":     dict,
		"overdue":  func(t *casework.Task) bool { return t != nil && t.Overdue(time.Now()) },
		"printf":   fmt.Sprintf,
	}
}

// t renders a catalog message for a staff page (always Italian).
func (w *Web) t(id string) string {
	return w.catalog.Localizer("it").T(id, nil)
}

// tArgs renders a catalog message with pairs of names and values: t "web.x" "Count" 3.
func (w *Web) tArgs(id string, pairs ...any) string {
	if len(pairs) == 0 {
		return w.t(id)
	}
	return w.catalog.Localizer("it").T(id, dict(pairs...))
}

// label renders the label of a code, e.g. label "web.stage" "awaiting_proposal"; the code
// itself when the catalog has none, so that a new code shows rather than vanishes.
func (w *Web) label(prefix, code string) string {
	if code == "" {
		return ""
	}
	key := prefix + "." + code
	if w.catalog.Has(key) {
		return w.t(key)
	}
	return code
}

// dict builds a map from pairs of names and values, for templates that pass several
// values to a partial.
func dict(pairs ...any) map[string]any {
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[fmt.Sprint(pairs[i])] = pairs[i+1]
	}
	return m
}

// fieldID turns a field name of the app (minor.birthDate) into an HTML id
// (f-minor-birthDate), so that an error summary can link to its field.
func fieldID(field string) string {
	return "f-" + strings.NewReplacer(".", "-", "[", "-", "]", "").Replace(field)
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(rome).Format("02/01/2006")
}

func formatDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(rome).Format("02/01/2006 15:04")
}

// orgName is how a page names an organisation by its code.
func orgName(o casework.Org) string {
	switch o.Kind {
	case casework.OrgUST:
		return "UST Milano"
	case casework.OrgComune:
		return "Comune " + o.Code
	case casework.OrgCTI:
		return "CTI " + o.Code
	case casework.OrgPoloStart:
		return "Polo START " + strings.TrimPrefix(o.Code, "polo-")
	case casework.OrgSchool:
		return "Scuola " + o.Code
	}
	return o.String()
}

// workflowLink is the page of a workflow in the Temporal Web UI, for UST; empty when the
// UI's address is not configured.
func (w *Web) workflowLink(workflowID string) string {
	if w.deps.TemporalUIURL == "" || workflowID == "" {
		return ""
	}
	ns := w.deps.TemporalNamespace
	if ns == "" {
		ns = "default"
	}
	return strings.TrimRight(w.deps.TemporalUIURL, "/") + "/namespaces/" + ns + "/workflows/" + workflowID
}

// option is one choice of a select.
type option struct {
	Value, Label string
}
