package e2e_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/enrolment"
)

// TestMonitoringThroughTheAPI asks the territorial monitoring's figures through the JSON
// API after a few cases filed through it: four by Milano (Polo START 1) and one by Sesto
// San Giovanni (CTI 22). Small counts are "<4" for every caller, UST included; a comune
// gets its own figures only; the export is the dashboard's file, named after the filter.
func TestMonitoringThroughTheAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	rome, err := time.LoadLocation("Europe/Rome")
	require.NoError(t, err)
	today := time.Now().In(rome).Format(time.DateOnly)
	for _, birth := range []string{"2017-04-12", "2016-09-01", "2017-01-20", "2016-05-05"} {
		b.fileCase(t, monitoringCase(enrolment.MilanoISTAT, 2, "primaria", birth))
	}
	b.fileCase(t, monitoringCase("015209", 0, "primaria", "2017-03-03"))
	const sesto, milano = "comune:015209", "comune:" + enrolment.MilanoISTAT

	figures := func(org, query string) api.MonitoringFigures {
		t.Helper()
		r := b.as(t, org, http.MethodGet, "/api/v1/monitoring?"+query, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var m api.Monitoring
		require.NoError(t, json.Unmarshal(r.body, &m))
		require.Equal(t, app.DefaultMinCell, m.Threshold)
		require.Empty(t, m.Rows, "with by, the figures only")
		require.NotNil(t, m.Figures)
		return *m.Figures
	}
	filed := func(f api.MonitoringFigures) map[string]api.Count {
		out := map[string]api.Count{}
		for _, r := range f.Rows {
			out[r.Key] = r.Filed
		}
		return out
	}
	four, small := api.Count{Value: new(4), Display: "4"}, api.Count{Suppressed: true, Display: "<4"}

	period := "by=comune&from=" + today + "&to=" + today
	ust := figures("ust", period)
	require.Equal(t, "comune", ust.By)
	require.Equal(t, map[string]api.Count{enrolment.MilanoISTAT: four, "015209": small}, filed(ust), "UST's figures are suppressed too")
	require.Equal(t, api.Count{Value: new(5), Display: "5"}, ust.Totals.Filed)
	require.Equal(t, api.Count{Value: new(0), Display: "0"}, ust.Totals.Enrolled, "0 is shown")

	require.Equal(t, map[string]api.Count{"015209": small}, filed(figures(sesto, period)), "a comune gets <4 and its own figures only")
	require.Equal(t, small, figures(sesto, period).Totals.Filed)
	require.NotNil(t, ust.Journeys, "the figures carry the reunification journeys by stage")
	require.Empty(t, *figures(sesto, period).Journeys, "a comune sees no journey")
	require.Equal(t, map[string]api.Count{enrolment.MilanoISTAT: four}, filed(figures(milano, period)))
	require.Empty(t, figures(sesto, "by=comune&to=2020-01-01").Rows, "a period before the cases")

	// The old answer, by hub and stage, is suppressed too: null.
	r := b.as(t, "ust", http.MethodGet, "/api/v1/monitoring", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var old api.Monitoring
	require.NoError(t, json.Unmarshal(r.body, &old))
	require.Nil(t, old.Figures)
	for _, row := range old.Rows {
		if value(row.Hub) == "cti:22" {
			require.Nil(t, row.Cases, "%+v", row)
		}
		if value(row.Hub) == polo1 && row.Stage == "awaiting_proposal" {
			require.NotNil(t, row.Cases)
			require.Equal(t, 4, *row.Cases)
		}
	}

	r = b.as(t, "ust", http.MethodGet, "/api/v1/monitoring/placement-time?by=hub&from="+today, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var placement api.PlacementTimes
	require.NoError(t, json.Unmarshal(r.body, &placement))
	require.Empty(t, placement.Rows, "nobody placed yet")

	for target, field := range map[string]string{
		"/api/v1/monitoring?by=provincia":                                     "by",
		"/api/v1/monitoring?by=hub&from=ieri":                                 "from",
		"/api/v1/monitoring?by=hub&from=2026-02-01&to=2026-01-01":             "to",
		"/api/v1/monitoring/placement-time?by=comune":                         "by",
		"/api/v1/monitoring/export?table=casi&by=hub&format=csv":              "table",
		"/api/v1/monitoring/export?table=cases&by=hub&format=pdf":             "format",
		"/api/v1/monitoring/export?table=placement-time&by=ambito&format=csv": "by",
	} {
		r := b.as(t, sesto, http.MethodGet, target, nil)
		require.Equal(t, http.StatusBadRequest, r.status, target)
		p := decodeProblem(t, r)
		require.NotNil(t, p.Errors, target)
		require.Equal(t, field, (*p.Errors)[0].Field, target)
	}

	day := strings.ReplaceAll(today, "-", "")
	t.Run("a comune's export has its own figures, <4 as text", func(t *testing.T) {
		res := b.download(t, sesto, "/api/v1/monitoring/export?table=cases&"+period+"&format=xlsx")
		require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", res.Header.Get("Content-Type"))
		require.Regexp(t, `^attachment; filename="approdo-cases-by-comune-from-`+day+`-to-`+day+`-\d{8}-\d{4}\.xlsx"$`, res.Header.Get("Content-Disposition"))
		x, err := excelize.OpenReader(bytes.NewReader(res.body))
		require.NoError(t, err)
		defer x.Close()
		rows, err := x.GetRows("Sheet1")
		require.NoError(t, err)
		require.Len(t, rows, 3, "the header, Sesto and the totals: %v", rows)
		require.Equal(t, append([]string{"comune"}, app.MonitoringColumns...), rows[0])
		require.Equal(t, []string{"015209", "<4"}, rows[1][:2])
		require.Equal(t, []string{"totale", "<4"}, rows[2][:2])
		typ, err := x.GetCellType("Sheet1", "B2")
		require.NoError(t, err)
		require.Contains(t, []excelize.CellType{excelize.CellTypeSharedString, excelize.CellTypeInlineString}, typ, "<4 is text")
	})

	t.Run("UST's export: counts are numbers, small ones <4", func(t *testing.T) {
		res := b.download(t, "ust", "/api/v1/monitoring/export?table=cases&"+period+"&format=csv")
		require.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
		require.Regexp(t, `filename="approdo-cases-by-comune-from-`+day+`-to-`+day+`-\d{8}-\d{4}\.csv"$`, res.Header.Get("Content-Disposition"))
		records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(res.body), "\ufeff"))).ReadAll()
		require.NoError(t, err)
		got := map[string]string{}
		for _, rec := range records[1:] {
			got[rec[0]] = rec[1]
		}
		require.Equal(t, map[string]string{enrolment.MilanoISTAT: "4", "015209": "<4", "totale": "5"}, got)

		res = b.download(t, "ust", "/api/v1/monitoring/export?table=placement-time&by=hub&format=xlsx")
		require.Regexp(t, `filename="approdo-placement-time-by-hub-\d{8}-\d{4}\.xlsx"$`, res.Header.Get("Content-Disposition"))
		x, err := excelize.OpenReader(bytes.NewReader(res.body))
		require.NoError(t, err)
		defer x.Close()
		rows, err := x.GetRows("Sheet1")
		require.NoError(t, err)
		require.Equal(t, [][]string{{"hub", "placed", "median_days", "p90_days"}}, rows)
	})
}

type downloaded struct {
	Header http.Header
	body   []byte
}

// download GETs a file as org and checks it is a 200.
func (b *bundle) download(t *testing.T, org, path string) downloaded {
	t.Helper()
	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, b.api.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.token(t, org))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", path, data)
	return downloaded{Header: res.Header, body: data}
}
