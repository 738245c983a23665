package browsertest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// serve starts a test server on 127.0.0.1 that answers every path with page, under a
// Content-Security-Policy as strict as the portal's, so axe must work under it too.
func serve(t *testing.T, page string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

const cleanPage = `<!doctype html>
<html lang="it">
<head><meta charset="utf-8"><title>Ricerca dei casi</title></head>
<body>
<header><p>Approdo</p></header>
<nav aria-label="Principale"><a href="/">Casi</a></nav>
<main>
  <h1>Ricerca dei casi</h1>
  <form action="/" method="get">
    <label for="q">Nome del minore</label>
    <input id="q" name="q" type="text">
    <button type="submit">Cerca</button>
  </form>
</main>
<footer><p>Città Metropolitana di Milano</p></footer>
</body>
</html>`

const brokenPage = `<!doctype html>
<html lang="it">
<head><meta charset="utf-8"><title>Ricerca dei casi</title></head>
<body>
<main>
  <h1>Ricerca dei casi</h1>
  <input name="q" type="text">
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
</main>
</body>
</html>`

func TestIsLocal(t *testing.T) {
	t.Parallel()
	for raw, local := range map[string]bool{
		"http://127.0.0.1:8080/static/x.css": true,
		"http://localhost/":                  true,
		"ws://[::1]:9000/events":             true,
		"data:image/png;base64,AAAA":         true,
		"blob:http://127.0.0.1/1234":         true,
		"about:blank":                        true,
		"https://cdn.jsdelivr.net/npm/x.js":  false,
		"http://10.0.0.1/":                   false,
		"http://127.0.0.1.example.com/":      false,
		"chrome-extension://abc/script.js":   false,
	} {
		require.Equal(t, local, isLocal(raw), raw)
	}
}

// TestInChromium runs the harness's checks in one browser, a tab each, the way a
// package with many pages should: starting Chromium costs more than opening a tab.
func TestInChromium(t *testing.T) {
	t.Parallel()
	b := New(t)

	t.Run("axe finds an unlabelled input and an image without alt", func(t *testing.T) {
		t.Parallel()
		tab := b.NewTab(t)
		require.NoError(t, chromedp.Do(tab, chromedp.Navigate(serve(t, brokenPage))))

		violations, err := Axe(tab)
		require.NoError(t, err)
		found := map[string][]string{}
		for _, v := range violations {
			require.NotEmpty(t, v.Impact, v.ID)
			require.NotEmpty(t, v.Help, v.ID)
			for _, n := range v.Nodes {
				found[v.ID] = append(found[v.ID], n.Target)
			}
		}
		require.Equal(t, []string{"input"}, found["label"], FormatViolations(violations))
		require.Equal(t, []string{"img"}, found["image-alt"], FormatViolations(violations))

		// Running it again on the same document reuses the axe-core already there.
		again, err := Axe(tab)
		require.NoError(t, err)
		require.Equal(t, violations, again)
	})

	t.Run("axe passes a page with language, title, labels and landmarks", func(t *testing.T) {
		t.Parallel()
		tab := b.NewTab(t)
		b.RequireOnlyLocalRequests(t, tab)
		b.RequireNoConsoleErrors(t, tab)
		require.NoError(t, chromedp.Do(tab, chromedp.Navigate(serve(t, cleanPage))))
		RequireNoAxeViolations(t, tab, "the clean page")

		language, err := chromedp.Run(tab, chromedp.Evaluate[string](`navigator.language`))
		require.NoError(t, err)
		require.Equal(t, "it-IT", language, "the browser should ask for Italian, as users do")
	})

	t.Run("requests to other sites are listed", func(t *testing.T) {
		t.Parallel()
		tab := b.NewTab(t)
		foreign, err := watchRequests(tab)
		require.NoError(t, err)
		page := `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>x</title>
	<link rel="stylesheet" href="https://cdn.example.com/bootstrap.css"></head>
	<body><img alt="logo" src="http://images.example.org/logo.png"><img alt="" src="/local.png"></body></html>`
		require.NoError(t, chromedp.Do(tab, chromedp.Navigate(serve(t, page))))
		require.ElementsMatch(t, []string{"https://cdn.example.com/bootstrap.css", "http://images.example.org/logo.png"}, foreign())
	})

	t.Run("screenshot writes a PNG", func(t *testing.T) {
		t.Parallel()
		tab := b.NewTab(t)
		require.NoError(t, chromedp.Do(tab, chromedp.Navigate(serve(t, cleanPage))))
		path := filepath.Join(t.TempDir(), "shots", "clean.png")
		Screenshot(t, tab, path)
		png, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, "\x89PNG\r\n\x1a\n", string(png[:8]))
	})

	t.Run("tabs do not share cookies", func(t *testing.T) {
		t.Parallel()
		url := serve(t, cleanPage)
		first, second := b.NewTab(t), b.NewTab(t)
		require.NoError(t, chromedp.Do(first, chromedp.Navigate(url)))
		require.NoError(t, chromedp.Do(second, chromedp.Navigate(url)))
		require.NoError(t, chromedp.Do(first, chromedp.Evaluate[chromedp.Void](`document.cookie = "session=ust"`)))

		cookie, err := chromedp.Run(second, chromedp.Evaluate[string](`document.cookie`))
		require.NoError(t, err)
		require.Empty(t, cookie, "a tab signed in must not sign in the others")
	})

	t.Run("console errors are listed", func(t *testing.T) {
		t.Parallel()
		tab := b.NewTab(t)
		logged, err := watchConsole(tab)
		require.NoError(t, err)
		// Under the test server's CSP the inline style and script are blocked and the image
		// is missing: errors a look at the page would not show.
		page := `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>x</title></head>
	<body><p style="color: red">rosso</p><img alt="" src="/missing.png"><script>console.log("inline")</script></body></html>`
		require.NoError(t, chromedp.Do(tab, chromedp.Navigate(serve(t, page))))
		require.NoError(t, chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](`console.error("boom", 42)`)))

		errs := logged()
		require.Len(t, errs, 4, "%q", errs)
		require.Contains(t, errs[0]+errs[1]+errs[2], "inline style")
		require.Contains(t, errs[0]+errs[1]+errs[2], "inline script")
		require.Contains(t, errs[0]+errs[1]+errs[2], "missing.png")
		require.Equal(t, "console.error: boom 42", errs[3])
	})

	t.Run("a page answered 4xx is the test's to check, a 5xx page is an error", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			status := map[string]int{"/non-trovato": http.StatusNotFound, "/modulo": http.StatusUnprocessableEntity, "/guasto": http.StatusInternalServerError}[r.URL.Path]
			if status == 0 {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`<!doctype html><html lang="it"><head><meta charset="utf-8"><title>x</title></head><body><p>x</p></body></html>`))
		}))
		t.Cleanup(srv.Close)
		tab := b.NewTab(t)
		logged, err := watchConsole(tab)
		require.NoError(t, err)
		for _, path := range []string{"/non-trovato", "/modulo"} {
			res, err := chromedp.Run(tab, chromedp.NavigateResponse(srv.URL+path))
			require.NoError(t, err)
			require.EqualValues(t, map[string]int{"/non-trovato": 404, "/modulo": 422}[path], res.Status)
		}
		require.Empty(t, logged())
		// A resource of the page that is missing is still an error, as is a 5xx page.
		_, err = chromedp.Run(tab, chromedp.Evaluate[bool](`fetch("/mancante").then(() => true, () => true)`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return len(logged()) == 1 }, 5*time.Second, 50*time.Millisecond, "%q", logged())
		_, err = chromedp.Run(tab, chromedp.NavigateResponse(srv.URL+"/guasto"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return len(logged()) == 2 }, 5*time.Second, 50*time.Millisecond, "%q", logged())
		require.Contains(t, logged()[0], "/mancante")
		require.Contains(t, logged()[1], "500")
	})
}
