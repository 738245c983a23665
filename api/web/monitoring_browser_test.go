package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/web/static"
	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
)

// TestMonitoringChartsInChromium loads the dashboard with sample figures in a real
// browser, under the pages' Content-Security-Policy: Chart.js and approdo-charts.js draw
// a chart on each canvas from its table, with no CSP violation or other console error,
// nothing asked of another site, and no WCAG 2.1 AA violation.
func TestMonitoringChartsInChromium(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	page := renderMonitoringAs(t, w, casework.UST, "/monitoraggio", "monitoring", view{Data: sampleMonitoringPage(w),
		Values: map[string]string{"per": "month", "dal": "2025-09-01"}}).Body.Bytes()
	mux := http.NewServeMux()
	mux.Handle(static.Prefix, static.Handler())
	mux.HandleFunc("/monitoraggio", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Content-Security-Policy", static.ContentSecurityPolicy)
		_, _ = rw.Write(page)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	b := browsertest.New(t)
	tab := b.NewTab(t)
	b.RequireOnlyLocalRequests(t, tab)
	b.RequireNoConsoleErrors(t, tab)
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(srv.URL+"/monitoraggio")))
	require.NoError(t, chromedp.Do(tab, chromedp.WaitVisible("canvas")))
	drawn, err := chromedp.Run(tab, chromedp.Evaluate[[]int](
		`[...document.querySelectorAll("canvas[data-chart]")].map(c => window.Chart.getChart(c) ? window.Chart.getChart(c).data.datasets.length : -1)`))
	require.NoError(t, err)
	require.Equal(t, []int{7, 2}, drawn, "the stages stacked by month; median and p90 by hub")
	browsertest.RequireNoAxeViolations(t, tab, "monitoraggio")
}
