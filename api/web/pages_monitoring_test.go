package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/api/web/static"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// renderMonitoringAs renders a page for a person of org, as render_test.go does, and returns the
// recorder.
func renderMonitoringAs(t *testing.T, w *Web, org casework.Org, target, page string, v view) *httptest.ResponseRecorder {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, target, nil)
	c.Set(sessionKey, store.Session{ID: "s", CSRF: "csrf-token", ExpiresAt: time.Now().Add(time.Hour),
		User: store.User{Name: "Ufficio X", Email: "x@example.org", Role: "operator", Organisation: org}})
	w.render(c, http.StatusOK, page, v)
	return rec
}

// sampleFigures are figures as app.Monitoring makes them for any reader, UST included:
// counts from 1 to threshold-1 are suppressed.
func sampleFigures(threshold int) app.Figures {
	cell := func(n int) app.Cell {
		if n > 0 && n < threshold {
			return app.Cell{Below: threshold}
		}
		return app.Cell{N: n}
	}
	row := func(key string, filed, enrolled int) app.FigureRow {
		return app.FigureRow{Key: key, Filed: cell(filed), AwaitingProposal: cell(filed - enrolled), Enrolled: cell(enrolled)}
	}
	return app.Figures{Threshold: threshold, Rows: []app.FigureRow{row("2026-01", 7, 5), row("2026-02", 4, 1)}, Totals: row("", 11, 6)}
}

func sampleMonitoringPage(w *Web) monitoringPage {
	f := monitoringFilter{By: store.ByMonth, From: time.Date(2025, 9, 1, 0, 0, 0, 0, rome)}
	median, p90 := 36*time.Hour, 10*24*time.Hour
	main := w.figureTable("tabella-casi", store.ByMonth, sampleFigures(app.DefaultMinCell), "/monitoraggio/esporta?tabella=casi&"+f.params())
	return monitoringPage{
		Filter: f, Dimensions: w.dimensionOptions(), GeneratedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		Main: main, ByMonth: main,
		ByComune: w.figureTable("tabella-comuni", store.ByComune, app.Figures{Threshold: app.DefaultMinCell, Rows: []app.FigureRow{{Key: "015146", Filed: app.Cell{Below: app.DefaultMinCell}}}},
			"/monitoraggio/esporta?tabella=casi&"+f.withBy(store.ByComune).params()),
		PlacementByHub: w.placementTable("tabella-tempi-hub", store.ByHub, app.PlacementTimes{Threshold: app.DefaultMinCell, Rows: []app.PlacementRow{
			{Key: "cti:21", Cases: app.Cell{N: 5}, Median: &median, P90: &p90}, {Key: "polo_start:polo-1", Cases: app.Cell{Below: 4}}}},
			"/monitoraggio/esporta?tabella=tempi&"+f.withBy(store.ByHub).params()),
		PlacementByMonth: w.placementTable("tabella-tempi-mesi", store.ByMonth, app.PlacementTimes{}, "/monitoraggio/esporta?tabella=tempi&"+f.withBy(store.ByMonth).params()),
		ChartJS:          static.ChartJS, ChartsJS: static.SiteChartsJS(),
	}
}

func TestMonitoringPageShowsTablesChartsAndExports(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	rec := renderMonitoringAs(t, w, casework.UST, "/monitoraggio", "monitoring", view{Data: sampleMonitoringPage(w),
		Values: map[string]string{"per": "month", "dal": "2025-09-01"}})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	body := rec.Body.String()

	require.Equal(t, 1, strings.Count(body, "<h1"), "one h1")
	require.Contains(t, body, `<table class="table table-sm" id="tabella-casi">`)
	require.Contains(t, body, "<caption>Casi per mese: presentati")
	require.Contains(t, body, `<th scope="row">gennaio 2026</th>`)
	require.Contains(t, body, `<th scope="row">Totale</th>`)
	require.Contains(t, body, `data-value="7">7</td>`)
	require.Contains(t, body, `<td class="text-end">&lt;4</td>`, "UST's figures are suppressed too")
	require.Contains(t, body, "sono mostrati come «&lt;4»")
	require.Contains(t, body, `<th scope="col" class="text-end" data-series>Iscritti</th>`, "the stages are the chart's series")
	require.Contains(t, body, `<th scope="row">CTI 21</th>`)
	require.Contains(t, body, `data-value="1.5">1,5</td>`, "the median in days")
	require.Contains(t, body, `<th scope="row">015146</th>`)

	// Each chart names a table of the page and has a text alternative.
	for _, m := range regexp.MustCompile(`<canvas [^>]*data-table="([^"]+)"[^>]*>`).FindAllStringSubmatch(body, -1) {
		require.Contains(t, body, `id="`+m[1]+`"`, "the chart's table is on the page")
		require.Contains(t, m[0], `role="img"`)
		require.Contains(t, m[0], `aria-label=`)
	}
	require.Equal(t, 2, strings.Count(body, "<canvas"))
	require.Contains(t, body, "<figcaption>")

	// Scripts come from this site, with a src: no inline script for the CSP to block.
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		require.Contains(t, m, `src="/static/`, m)
	}
	require.Less(t, strings.Index(body, static.ChartJS), strings.Index(body, "approdo-charts.js"), "Chart.js first")

	require.Contains(t, body, `href="/monitoraggio/esporta?tabella=casi&amp;per=month&amp;dal=2025-09-01&amp;formato=xlsx"`)
	require.Contains(t, body, `href="/monitoraggio/esporta?tabella=tempi&amp;per=hub&amp;dal=2025-09-01&amp;formato=csv"`)
	require.Contains(t, body, `<option value="month" selected>mese</option>`)
	require.Contains(t, body, `href="/monitoraggio" aria-current="page"`, "the header names the page")
}

// A period without cases shows no chart over a table that is not there, and each
// export link names its table for a screen reader's list of links.
func TestMonitoringPageWithoutCasesDrawsNoChart(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	f := monitoringFilter{By: store.ByAmbito, From: time.Date(2025, 9, 1, 0, 0, 0, 0, rome)}
	empty := func(id string, by store.Dimension) *figureTable {
		return w.figureTable(id, by, app.Figures{}, "/monitoraggio/esporta?tabella=casi&"+f.withBy(by).params())
	}
	page := monitoringPage{Filter: f, Dimensions: w.dimensionOptions(), GeneratedAt: time.Now(),
		Main: empty("tabella-casi", store.ByAmbito), ByMonth: empty("tabella-mesi", store.ByMonth), ByComune: empty("tabella-comuni", store.ByComune),
		PlacementByHub:   w.placementTable("tabella-tempi-hub", store.ByHub, app.PlacementTimes{}, "/monitoraggio/esporta?tabella=tempi&"+f.withBy(store.ByHub).params()),
		PlacementByMonth: w.placementTable("tabella-tempi-mesi", store.ByMonth, app.PlacementTimes{}, "/monitoraggio/esporta?tabella=tempi&"+f.withBy(store.ByMonth).params()),
		ChartJS:          static.ChartJS, ChartsJS: static.SiteChartsJS()}
	rec := renderMonitoringAs(t, w, casework.UST, "/monitoraggio", "monitoring", view{Data: page})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	body := rec.Body.String()
	require.Contains(t, body, "Nessun caso presentato nel periodo")
	require.NotContains(t, body, "<canvas")
	require.NotContains(t, body, "<figure")
	require.Contains(t, body, `formato=xlsx" download>Excel (XLSX)<span class="visually-hidden"> (casi per ambito territoriale)</span></a>`)
	require.Contains(t, body, `formato=csv" download>CSV<span class="visually-hidden"> (tempi per mese)</span></a>`)
}

func TestMonitoringPageShowsSuppressedCountsAsLessThan(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	page := sampleMonitoringPage(w)
	page.Main = w.figureTable("tabella-casi", store.ByMonth, sampleFigures(4), "/x?a=b")
	rec := renderMonitoringAs(t, w, casework.UST, "/monitoraggio", "monitoring", view{Data: page})
	body := rec.Body.String()
	require.Contains(t, body, `<td class="text-end">&lt;4</td>`, "a suppressed count has no value for the chart")
	require.Contains(t, body, "sono mostrati come «&lt;4»")
	require.Contains(t, body, `<td class="text-end">—</td>`, "a suppressed group shows no median")
}

func TestMonitoringIsUSTOnly(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	w := testWeb(t)
	for _, org := range []casework.Org{{Kind: casework.OrgCTI, Code: "21"}, {Kind: casework.OrgComune, Code: "015146"}, casework.UST} {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodGet, "/monitoraggio", nil)
		c.Set(sessionKey, store.Session{User: store.User{Organisation: org}})
		w.ustOnly(c)
		if org == casework.UST {
			require.False(t, c.IsAborted())
			continue
		}
		require.Equal(t, http.StatusNotFound, rec.Code, org.String())
		require.True(t, c.IsAborted())
	}
	require.Contains(t, navLabels(casework.UST), "Monitoraggio")
	require.NotContains(t, navLabels(casework.Org{Kind: casework.OrgCTI, Code: "21"}), "Monitoraggio")
}

func navLabels(org casework.Org) []string {
	var out []string
	for _, n := range navFor(org, "/") {
		out = append(out, n.Label)
	}
	return out
}

func TestMonitoringFilterDefaultsToThisSchoolYearByAmbito(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	parse := func(target string, now time.Time) (monitoringFilter, map[string]string) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodGet, target, nil)
		return parseMonitoringFilter(c, now)
	}
	f, errs := parse("/monitoraggio", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	require.Empty(t, errs)
	require.Equal(t, store.ByAmbito, f.By)
	require.Equal(t, time.Date(2025, 9, 1, 0, 0, 0, 0, rome), f.From)
	require.True(t, f.To.IsZero())

	f, _ = parse("/monitoraggio", time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC))
	require.Equal(t, time.Date(2026, 9, 1, 0, 0, 0, 0, rome), f.From)

	f, errs = parse("/monitoraggio?per=hub&dal=&al=2026-01-31", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	require.Empty(t, errs)
	require.Equal(t, store.ByHub, f.By)
	require.True(t, f.From.IsZero(), "an emptied field does not bound the period")
	q := f.query(store.ByHub)
	require.Equal(t, time.Date(2026, 2, 1, 0, 0, 0, 0, rome), q.To, "the last day is included")

	_, errs = parse("/monitoraggio?per=nome&dal=31/01/2026&al=2020-01-01", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	require.Contains(t, errs, "per")
	require.Contains(t, errs, "dal")
	require.Contains(t, errs, "al", "before the school year's start")
}

// TestTemporalListFilterLinks checks the README's List Filters and that a link carries
// each one whole, escaped as a query value.
func TestTemporalListFilterLinks(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	w.deps = Deps{TemporalUIURL: "http://127.0.0.1:8233/", TemporalNamespace: "default"}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, rome)
	require.Equal(t, `WorkflowType="EnrolmentCase" AND ExecutionStatus="Running" AND Deadline < "2026-11-23T09:00:00Z"`, temporalFilter("scaduti", now))
	require.Equal(t, "http://127.0.0.1:8233/namespaces/default/workflows?query=WorkflowType%3D%22EnrolmentCase%22%20AND%20"+
		"ExecutionStatus%3D%22Running%22%20AND%20Deadline%20%3C%20%222026-11-23T09%3A00%3A00Z%22",
		w.workflowListLink(temporalFilter("scaduti", now)))
	for _, list := range supervisionLists {
		filter := temporalFilter(list, now)
		require.NotEmpty(t, filter, list)
		link := w.workflowListLink(filter)
		u, err := url.Parse(link)
		require.NoError(t, err)
		require.Equal(t, "/namespaces/default/workflows", u.Path)
		require.Equal(t, filter, u.Query().Get("query"), "%s: the filter comes back whole", list)
		require.NotContains(t, u.RawQuery, "+", "spaces are %20")
	}
	require.Equal(t, `WorkflowType="DeliverNotification" AND Stage="not_delivered"`, temporalFilter("pec-non-consegnate", now))
	require.Equal(t, `WorkflowType="ComuneOnboarding" AND Escalated=true`, temporalFilter("onboarding-fermi", now))
	require.Empty(t, temporalFilter("altro", now))

	w.deps.TemporalUIURL = ""
	require.Empty(t, w.workflowListLink(temporalFilter("segnalati", now)), "no UI, no link")
}

func TestSupervisionPageLinksEachCaseToItsPageAndWorkflow(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	w.deps = Deps{TemporalUIURL: "http://127.0.0.1:8233", TemporalNamespace: "default"}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	id := "0a1b2c3d-0000-4000-8000-000000000001"
	sent := now.Add(-48 * time.Hour)
	page := supervisionPage{List: "scaduti", Now: now, TemporalFilter: temporalFilter("scaduti", now)}
	page.TemporalLink = w.workflowListLink(page.TemporalFilter)
	for _, l := range supervisionLists {
		page.Lists = append(page.Lists, option{Value: l, Label: w.t("web.ust.list." + l)})
	}
	page.Cases = []supervisedCase{{CaseSummary: store.CaseSummary{ID: id, Stage: casework.StageAwaitingProposal, Comune: "015146", Level: "primaria",
		Hub: "polo_start:polo-1", Escalated: true, EscalationReason: "deadline_missed", Task: &casework.Task{Kind: "propose_school", DueAt: now.Add(-time.Hour)}},
		Overdue: true, WorkflowLink: w.workflowLink("enrolment-" + id)}}
	rec := renderMonitoringAs(t, w, casework.UST, "/monitoraggio/liste", "supervision", view{Data: page})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	body := rec.Body.String()
	require.Contains(t, body, `href="/casi/`+id+`"`)
	require.Contains(t, body, `href="http://127.0.0.1:8233/namespaces/default/workflows/enrolment-`+id+`"`)
	require.Contains(t, body, `id="filtro-temporal"`)
	require.Contains(t, body, "Scadenza superata")
	require.Contains(t, body, `aria-current="page">Casi scaduti</a>`)

	page.List, page.Cases = "pec-non-consegnate", nil
	page.Notices = []supervisedNotice{{UndeliveredNotice: store.UndeliveredNotice{Key: "k", CaseID: id, Kind: "placement_comune",
		Recipient: "comune:015146", Address: "protocollo@pec.comune.example.it", SentAt: &sent, Reason: "errore-consegna"},
		CaseWorkflowLink: w.workflowLink("enrolment-" + id), WorkflowLink: w.workflowLink("notice-x")}}
	body = renderMonitoringAs(t, w, casework.UST, "/monitoraggio/liste", "supervision", view{Data: page}).Body.String()
	require.Contains(t, body, "avviso di mancata consegna")
	require.Contains(t, body, `href="/casi/`+id+`"`)

	page.List, page.Notices = "onboarding-fermi", nil
	page.Onboardings = []supervisedOnboarding{{StuckOnboarding: store.StuckOnboarding{Comune: "015189", Name: "Rozzano",
		IssuedAt: sent, SentAt: &sent, Undelivered: "no_receipt"}, WorkflowLink: w.workflowLink("onboarding-comune-015189")}}
	body = renderMonitoringAs(t, w, casework.UST, "/monitoraggio/liste", "supervision", view{Data: page}).Body.String()
	require.Contains(t, body, `<th scope="row">Rozzano</th>`)
	require.Contains(t, body, "nessuna ricevuta in tempo")
	require.Contains(t, body, "workflows/onboarding-comune-015189")
}

func TestExportsCarryThePageFigures(t *testing.T) {
	t.Parallel()
	s := app.FigureSheet(store.ByMonth, sampleFigures(4))
	var b bytes.Buffer
	require.NoError(t, s.WriteCSV(&b))
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, append([]string{"month"}, app.MonitoringColumns...), records[0])
	require.Equal(t, []string{"2026-01", "7"}, records[1][:2])
	require.Equal(t, "<4", records[2][7], "enrolled, suppressed")
	require.Equal(t, "totale", records[3][0])

	b.Reset()
	require.NoError(t, s.WriteXLSX(&b))
	x, err := excelize.OpenReader(&b)
	require.NoError(t, err)
	defer x.Close()
	rows, err := x.GetRows("Sheet1")
	require.NoError(t, err)
	require.Equal(t, records, rows)
	typ, err := x.GetCellType("Sheet1", "B2")
	require.NoError(t, err)
	require.NotEqual(t, excelize.CellTypeSharedString, typ, "counts are numbers")
	typ, err = x.GetCellType("Sheet1", "H3")
	require.NoError(t, err)
	require.Contains(t, []excelize.CellType{excelize.CellTypeSharedString, excelize.CellTypeInlineString}, typ, "a suppressed count is the text <4")
}
