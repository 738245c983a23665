package static

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/browsertest"
)

var screenshots = flag.String("screenshots", "",
	"folder to keep the browser test's screenshots in, to look at them (default: a temporary one)")

// demoPage is a small page built the way the portal's will be: Bootstrap Italia's header
// and form, the icon sprite, Bootstrap Italia's and htmx's scripts, all from Handler.
var demoPage = fmt.Sprintf(`<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ricerca dei casi – Approdo</title>
<link rel="stylesheet" href="%[1]s">
<link rel="stylesheet" href="%[2]s">
<link rel="stylesheet" href="%[3]s">
</head>
<body>
<header class="it-header-wrapper">
  <div class="it-header-slim-wrapper">
    <div class="container"><div class="row"><div class="col-12">
      <div class="it-header-slim-wrapper-content">
        <a class="navbar-brand" href="https://www.cittametropolitana.mi.it/">Città Metropolitana di Milano</a>
      </div>
    </div></div></div>
  </div>
  <div class="it-nav-wrapper">
    <div class="it-header-center-wrapper">
      <div class="container"><div class="row"><div class="col-12">
        <div class="it-header-center-content-wrapper">
          <div class="it-brand-wrapper">
            <a href="/">
              <svg class="icon" aria-hidden="true"><use href="%[4]s"></use></svg>
              <div class="it-brand-text">
                <div class="it-brand-title">Approdo</div>
                <div class="it-brand-tagline">Un posto a scuola per ogni minore appena arrivato</div>
              </div>
            </a>
          </div>
        </div>
      </div></div></div>
    </div>
  </div>
</header>
<main class="container my-5" id="contenuto">
  <h1>Ricerca dei casi</h1>
  <p>Le date si scrivono <code>AAAA-MM-GG</code>.</p>
  <form action="/" method="get">
    <div class="form-group">
      <label for="nome">Nome del minore</label>
      <input type="text" class="form-control" id="nome" name="nome">
    </div>
    <button type="submit" class="btn btn-primary">
      <svg class="icon icon-white icon-sm" aria-hidden="true"><use href="%[5]s"></use></svg> Cerca
    </button>
  </form>
</main>
<footer class="it-footer">
  <div class="it-footer-small-prints clearfix">
    <div class="container"><p class="text-white py-3 mb-0">Ufficio Scolastico Territoriale di Milano</p></div>
  </div>
</footer>
<script src="%[6]s"></script>
<script src="%[7]s"></script>
<script src="%[8]s"></script>
</body>
</html>`, BootstrapItaliaCSS, BootstrapItaliaFonts, SiteCSS(), Icon("it-pa"), Icon("it-search"),
	SiteJS(), BootstrapItaliaJS, HTMX)

// TestBootstrapItaliaPageInChromium loads a page made of the served assets in a real
// browser, under ContentSecurityPolicy: the styles, fonts, icons and scripts must load
// from Handler alone, break no rule of the policy, log no error, and make a page that
// passes WCAG 2.1 AA. The screenshot is for a person to look at.
func TestBootstrapItaliaPageInChromium(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle(Prefix, Handler())
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
		_, _ = w.Write([]byte(demoPage))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	b := browsertest.New(t)
	tab := b.NewTab(t)
	b.RequireOnlyLocalRequests(t, tab)
	b.RequireNoConsoleErrors(t, tab)
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(srv.URL+"/")))

	dir := *screenshots
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "bootstrap-italia.png")
	browsertest.Screenshot(t, tab, path) // waits for the fonts, which the checks below need
	t.Logf("screenshot: %s", path)

	// The stylesheet applies: the body is set in Titillium Web, from our woff2 files.
	family, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.body).fontFamily`))
	require.NoError(t, err)
	require.Contains(t, family, "Titillium Web")
	loaded, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`[...document.fonts].filter(f => f.status === "loaded").map(f => f.family.replaceAll('"', ""))`))
	require.NoError(t, err)
	require.Contains(t, loaded, "Titillium Web")
	require.Contains(t, loaded, "Roboto Mono")

	// The scripts ran, and they are the pinned releases.
	versions, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`[typeof bootstrap === "object" ? "bootstrap" : "", htmx.version]`))
	require.NoError(t, err)
	require.Equal(t, []string{"bootstrap", HTMXVersion}, versions)

	browsertest.RequireNoAxeViolations(t, tab, "the Bootstrap Italia demo page")
}
