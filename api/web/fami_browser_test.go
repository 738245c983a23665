package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/api/web/static"
	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// TestImportProgressFollowsItselfInChromium loads a running import's page in a real
// browser, under the pages' Content-Security-Policy: it passes axe (no timed refresh of
// the page, WCAG 2.2.1), and approdo.js replaces its status region with the import's
// progress until it is done, and shows the conflicts found meanwhile, without reloading
// the page under its reader.
func TestImportProgressFollowsItselfInChromium(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	pref := casework.Org{Kind: casework.OrgPrefettura, Code: "milano"}
	imp := app.ImportView{FamilyImport: store.FamilyImport{ID: "0b0c7a52-8f5e-4f6e-9d0c-2a1f6a9f4c11", Filename: "famiglie.csv",
		Lines: 5, Families: 2, Started: 1, CreatedAt: time.Now()}}
	running := renderFami(t, w, pref, "operator", "family_import", view{Data: importData(imp)})
	imp.Done, imp.Started, imp.Conflicts = true, 2, []string{"MI-2026-CONFLITTO"}
	done := renderFami(t, w, pref, "operator", "family_import", view{Data: importData(imp)})

	var served atomic.Int32
	mux := http.NewServeMux()
	mux.Handle(static.Prefix, static.Handler())
	mux.HandleFunc("/famiglie/file/", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Content-Security-Policy", static.ContentSecurityPolicy)
		page := running
		if served.Add(1) > 2 { // the first load, then one turn still running
			page = done
		}
		_, _ = rw.Write([]byte(page))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	b := browsertest.New(t)
	tab := b.NewTab(t)
	b.RequireOnlyLocalRequests(t, tab)
	b.RequireNoConsoleErrors(t, tab)
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(srv.URL+"/famiglie/file/"+imp.ID)))
	require.NoError(t, chromedp.Do(tab, chromedp.WaitVisible("#stato-import")))
	_, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.approdoSamePage = true`))
	require.NoError(t, err)
	browsertest.RequireNoAxeViolations(t, tab, "import in corso")

	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("stato-import").textContent.includes("Import concluso")`,
		chromedp.WithPollingInterval(100*time.Millisecond)))
	require.NoError(t, err, "the status follows the import to its end")
	state, err := chromedp.Run(tab, chromedp.Evaluate[map[string]any](`({
		same: window.approdoSamePage === true,
		following: document.getElementById("stato-import").hasAttribute("data-aggiorna"),
		conflicts: document.getElementById("conflitti-import").textContent,
		progress: document.querySelector("#stato-import progress").value})`))
	require.NoError(t, err)
	require.Equal(t, true, state["same"], "the page was not reloaded")
	require.Equal(t, false, state["following"], "done: no more fetching")
	require.Contains(t, state["conflicts"], "MI-2026-CONFLITTO")
	require.EqualValues(t, 100, state["progress"])
	require.EqualValues(t, 3, served.Load(), "fetched every 3 seconds until done, then no more")
	browsertest.RequireNoAxeViolations(t, tab, "import concluso")
}
