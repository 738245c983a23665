// Package static holds the files the web pages load — Bootstrap Italia, htmx and the
// site's own stylesheet — embedded in the binary, and serves them under /static/.
//
// The npm releases are pinned in assets.lock and copied into npm/ by
// scripts/refresh-assets. They are committed, so building, `make dev`, the tests and CI
// never need npm or the network, and no page loads anything from another site. Each
// release sits under its version (npm/<package>/<version>/), so the content behind a URL
// never changes and browsers may keep it for a year: an upgrade changes the URLs.
//
// Templates take the URLs from the constants below and never spell a version.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed approdo.css approdo.js approdo-charts.js npm
var files embed.FS

// Prefix is the path under which Handler serves the files.
const Prefix = "/static/"

// The pinned releases. They must match assets.lock (a test compares them).
const (
	// BootstrapItaliaVersion is the release of bootstrap-italia in npm/.
	BootstrapItaliaVersion = "2.18.3"
	// HTMXVersion is the release of htmx.org in npm/.
	HTMXVersion = "4.0.1"
	// ChartJSVersion is the release of chart.js in npm/.
	ChartJSVersion = "4.6.1"
)

const bootstrapItalia = Prefix + "npm/bootstrap-italia/" + BootstrapItaliaVersion + "/"

// URLs of the vendored files, for <link>, <script> and <use> in templates.
const (
	// BootstrapItaliaCSS is Bootstrap Italia's stylesheet.
	BootstrapItaliaCSS = bootstrapItalia + "css/bootstrap-italia.min.css"
	// BootstrapItaliaFonts declares Bootstrap Italia's fonts (Titillium Web, Lora, Roboto
	// Mono). Link it with BootstrapItaliaCSS: Bootstrap Italia 2 normally injects these
	// rules from JavaScript as an inline <style>, which our Content-Security-Policy
	// forbids, so scripts/refresh-assets writes them as a stylesheet of their own.
	BootstrapItaliaFonts = bootstrapItalia + "css/fonts.css"
	// BootstrapItaliaJS is Bootstrap Italia's JavaScript bundle (Bootstrap and Popper
	// included), for the components that need it: menus, collapses, modals.
	BootstrapItaliaJS = bootstrapItalia + "js/bootstrap-italia.bundle.min.js"
	// Sprites is Bootstrap Italia's icon sprite. See Icon.
	Sprites = bootstrapItalia + "svg/sprites.svg"
	// HTMX is htmx, which the pages use to update a part of themselves.
	HTMX = Prefix + "npm/htmx.org/" + HTMXVersion + "/htmx.min.js"
	// ChartJS is Chart.js's UMD build (it defines window.Chart), for the charts of the
	// monitoring pages; load it before SiteChartsJS().
	ChartJS = Prefix + "npm/chart.js/" + ChartJSVersion + "/chart.umd.min.js"
)

// Icon returns the URL of one icon of the sprite, for <svg><use href="…">, e.g.
// Icon("it-close").
func Icon(name string) string {
	return Sprites + "#" + name
}

// SiteCSS returns the URL of approdo.css, the site's own stylesheet. The URL carries a
// hash of the content, so the file can be cached like the versioned ones and a changed
// file gets a new URL.
func SiteCSS() string {
	return Prefix + "approdo.css?v=" + catalogue()["approdo.css"].hash
}

// SiteJS returns the URL of approdo.js, the site's own script, hashed like SiteCSS. Pages
// must load it before BootstrapItaliaJS (see the file for why).
func SiteJS() string {
	return Prefix + "approdo.js?v=" + catalogue()["approdo.js"].hash
}

// SiteChartsJS returns the URL of approdo-charts.js, hashed like SiteCSS: the site's script
// that draws a chart on each <canvas data-chart> from the table it names (see the file).
// Pages that have charts load it after ChartJS.
func SiteChartsJS() string {
	return Prefix + "approdo-charts.js?v=" + catalogue()["approdo-charts.js"].hash
}

// ContentSecurityPolicy is the strictest policy these assets work under; the browser test
// loads a page of them under it, with no error. Bootstrap Italia's CSS draws some icons as
// data: images and embeds an icon font as a data: URL, hence data: for img-src and
// font-src (data: never leaves the page). Everything else comes from the site itself.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the embedded files under Prefix, to GET and HEAD, and answers 404 for
// anything else under it, directories included (there is no listing). It expects the
// full path, so with Gin: r.GET("/static/*path", gin.WrapH(h)) and the same for HEAD.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

const (
	// immutable is for a URL whose content never changes: a versioned release, or a
	// site file asked for with its current hash.
	immutable = "public, max-age=31536000, immutable"
	// revalidate is for a URL that may change (approdo.css without its hash): the
	// browser keeps the file but asks first, and gets a 304 while the ETag matches.
	revalidate = "no-cache"
)

// contentTypes lists every kind of file we embed. Go's own table lacks woff2 and source
// maps, and the system's (/etc/mime.types) differs between machines. A test checks that
// every embedded file has its type here.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
	"":       "text/plain; charset=utf-8", // LICENSE
}

// file is what serve needs to know of one embedded file besides its bytes.
type file struct {
	hash        string // hex SHA-256 of the content, shortened
	contentType string
}

// catalogue lists the embedded regular files by their path under Prefix. Directories
// are not in it, which is how they get a 404.
var catalogue = sync.OnceValue(func() map[string]file {
	all := make(map[string]file)
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := files.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			ct = "application/octet-stream"
		}
		all[name] = file{hash: hex.EncodeToString(h.Sum(nil))[:16], contentType: ct}
		return nil
	})
	if err != nil {
		// The files are compiled in: failing to read them is a broken build.
		panic("static: read the embedded files: " + err.Error())
	}
	return all
})

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	f, found := catalogue()[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	content, err := files.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer content.Close()

	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+f.hash+`"`)
	if strings.HasPrefix(name, "npm/") || r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", immutable)
	} else {
		h.Set("Cache-Control", revalidate)
	}
	// Embedded files are seekable; ServeContent answers Range and If-None-Match. They
	// have no modification time, so the ETag is the only validator.
	http.ServeContent(w, r, name, time.Time{}, content.(io.ReadSeeker))
}
