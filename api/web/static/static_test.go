package static

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// get asks the handler for target the way a browser would.
func get(t *testing.T, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	Handler().ServeHTTP(w, r)
	return w
}

var (
	cssURL       = regexp.MustCompile(`url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"]*))\s*\)`)
	cssSourceMap = regexp.MustCompile(`sourceMappingURL=([^\s*]+)`)
)

// TestEveryFileTheStylesheetsReferenceIsServed follows each url(…) and source map of our
// stylesheets from the stylesheet's own URL, as a browser resolves them: a font or an
// image missing, or a relative path that breaks under /static/, fails here and not on a
// page.
func TestEveryFileTheStylesheetsReferenceIsServed(t *testing.T) {
	t.Parallel()
	for _, sheet := range []string{BootstrapItaliaCSS, BootstrapItaliaFonts, SiteCSS()} {
		name, _, _ := strings.Cut(path.Base(sheet), "?")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := get(t, sheet)
			require.Equal(t, http.StatusOK, w.Code)
			css := w.Body.String()
			base, err := url.Parse(sheet)
			require.NoError(t, err)

			var refs []string
			for _, m := range cssURL.FindAllStringSubmatch(css, -1) {
				refs = append(refs, m[1]+m[2]+m[3])
			}
			for _, m := range cssSourceMap.FindAllStringSubmatch(css, -1) {
				refs = append(refs, m[1])
			}
			files := 0
			for _, ref := range refs {
				ref = strings.TrimSpace(ref)
				if strings.HasPrefix(ref, "data:") || strings.HasPrefix(ref, "#") {
					continue // inline, or a fragment of the same document (SVG filters)
				}
				u, err := url.Parse(ref)
				require.NoError(t, err, ref)
				require.Empty(t, u.Host, "%s loads %s from another site", sheet, ref)
				target := base.ResolveReference(u)
				target.Fragment = ""
				require.Equal(t, http.StatusOK, get(t, target.String()).Code,
					"%s references %s, which resolves to %s", sheet, ref, target)
				files++
			}
			if sheet == BootstrapItaliaFonts {
				// 8 weights and styles of Titillium Web, 4 of Lora, 4 of Roboto Mono.
				require.Equal(t, 16, files, "the fonts stylesheet should declare every font")
			}
		})
	}
}

func TestServesTheAssetsWithTheirTypeAndForAYear(t *testing.T) {
	t.Parallel()
	for target, contentType := range map[string]string{
		BootstrapItaliaCSS:   "text/css; charset=utf-8",
		BootstrapItaliaFonts: "text/css; charset=utf-8",
		BootstrapItaliaJS:    "text/javascript; charset=utf-8",
		Sprites:              "image/svg+xml",
		HTMX:                 "text/javascript; charset=utf-8",
		bootstrapItalia + "fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.woff2": "font/woff2",
		bootstrapItalia + "LICENSE": "text/plain; charset=utf-8",
		SiteCSS():                   "text/css; charset=utf-8",
		SiteJS():                    "text/javascript; charset=utf-8",
		ChartJS:                     "text/javascript; charset=utf-8",
		Prefix + "npm/chart.js/" + ChartJSVersion + "/LICENSE": "text/plain; charset=utf-8",
		SiteChartsJS(): "text/javascript; charset=utf-8",
	} {
		w := get(t, target)
		require.Equal(t, http.StatusOK, w.Code, target)
		require.Equal(t, contentType, w.Header().Get("Content-Type"), target)
		require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), target)
		require.Equal(t, "public, max-age=31536000, immutable", w.Header().Get("Cache-Control"), target)
		require.NotEmpty(t, w.Body.Bytes(), target)
	}
	require.Equal(t, Sprites+"#it-close", Icon("it-close"))
	require.Contains(t, get(t, Sprites).Body.String(), `id="it-close"`,
		"the sprite should have the icon the pages use for closing")
}

func TestSiteFilesWithoutTheirHashAreRevalidated(t *testing.T) {
	t.Parallel()
	for _, target := range []string{Prefix + "approdo.css", Prefix + "approdo.css?v=0123456789abcdef", Prefix + "approdo.js", Prefix + "approdo-charts.js"} {
		w := get(t, target)
		require.Equal(t, http.StatusOK, w.Code)
		require.Equal(t, "no-cache", w.Header().Get("Cache-Control"), target)

		again := get(t, target, "If-None-Match", w.Header().Get("ETag"))
		require.Equal(t, http.StatusNotModified, again.Code, "an unchanged file is not sent again")
	}
}

func TestAnswers404ForUnknownPathsAndDirectories(t *testing.T) {
	t.Parallel()
	for _, target := range []string{
		Prefix,
		Prefix + "nothing.css",
		Prefix + "npm",
		Prefix + "npm/",
		Prefix + "npm/htmx.org/" + HTMXVersion,
		Prefix + "npm/htmx.org/" + HTMXVersion + "/",
		HTMX + "/",
		Prefix + "npm/htmx.org/0.0.0/htmx.min.js",
		Prefix + "npm/../approdo.css",
		Prefix + "static.go",
		Prefix + "assets.lock",
		"/approdo.css",
	} {
		require.Equal(t, http.StatusNotFound, get(t, target).Code, target)
	}
}

func TestRefusesChanges(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, HTMX, nil))
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
	require.Equal(t, "GET, HEAD", w.Header().Get("Allow"))

	w = httptest.NewRecorder()
	Handler().ServeHTTP(w, httptest.NewRequest(http.MethodHead, HTMX, nil))
	require.Equal(t, http.StatusOK, w.Code)
	require.Empty(t, w.Body.Bytes())
}

// TestEveryEmbeddedFileHasAKnownType keeps a new kind of file from going out as
// application/octet-stream, which browsers refuse for stylesheets and scripts.
func TestEveryEmbeddedFileHasAKnownType(t *testing.T) {
	t.Parallel()
	for name, f := range catalogue() {
		require.NotEqual(t, "application/octet-stream", f.contentType, "%s: add its extension to contentTypes", name)
	}
}

// TestVersionsMatchTheLock catches an upgrade that ran scripts/refresh-assets but left
// the constants at the old version (the pages would load files that are gone).
func TestVersionsMatchTheLock(t *testing.T) {
	t.Parallel()
	lock, err := os.Open("assets.lock")
	require.NoError(t, err)
	defer lock.Close()
	pinned := map[string]string{}
	lines := bufio.NewScanner(lock)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		require.Len(t, fields, 3, "assets.lock: %q is not 'package version integrity'", lines.Text())
		pinned[fields[0]] = fields[1]
	}
	require.NoError(t, lines.Err())
	require.Equal(t, map[string]string{
		"bootstrap-italia": BootstrapItaliaVersion,
		"htmx.org":         HTMXVersion,
		"chart.js":         ChartJSVersion,
	}, pinned)

	// And nothing else is embedded: an old release left behind would be served forever.
	for name := range catalogue() {
		if rest, ok := strings.CutPrefix(name, "npm/"); ok {
			pkg, version, _ := strings.Cut(rest, "/")
			version, _, _ = strings.Cut(version, "/")
			require.Equal(t, pinned[pkg], version, "%s is not a pinned release", name)
		}
	}
}
