package e2e_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
)

// monitoringCase is a request of the monitoring test: where the minor lives and the
// level sought, which route it (deploy/refdata/sample.yaml).
func monitoringCase(comune string, municipio int, level, birthDate string) map[string]any {
	body := validBody()
	body["comune"], body["level"] = comune, level
	body["minor"].(map[string]any)["birthDate"] = birthDate
	residence := body["residence"].(map[string]any)
	if municipio > 0 {
		residence["municipio"] = municipio
	} else {
		delete(residence, "municipio")
	}
	return body
}

// figures are the counts of one group, by the codes of app.MonitoringColumns; a count
// not named is 0.
type figures map[string]int

// row is the group's counts in the order of app.MonitoringColumns, as text, as every
// reader (UST included) sees them: 1 to 3 are "<4".
func (f figures) row() []string {
	out := make([]string, len(app.MonitoringColumns))
	for i, c := range app.MonitoringColumns {
		out[i] = app.Suppress(f[c], app.DefaultMinCell)
	}
	return out
}

// TestPortalMonitoring is UST's territorial monitoring in Chromium, against the whole
// stack: cases filed through the API in three ambiti (Milano's primaria and secondaria di
// I grado go to Poli START and count in Milano's ambito), some placed, one withdrawn, one
// enrolled directly by a school, the open ones past a short deadline. UST logs in, asks
// for the figures by ambito over a period, checks the table (its counts from 1 to 3 are
// "<4", for UST too), downloads the XLSX by clicking its link and checks the file; then each worklist, an overdue case's links
// to its page and to the Temporal Web UI; a comune gets the not-found page.
func TestPortalMonitoring(t *testing.T) {
	t.Parallel()
	began := time.Now()
	policy := testPolicy
	policy.DemoDeadline = 3 * time.Second // every open task is overdue in seconds
	b := setup(t, setupOptions{policy: &policy, temporalUI: true})
	rome, err := time.LoadLocation("Europe/Rome")
	require.NoError(t, err)
	today := time.Now().In(rome).Format(time.DateOnly)

	// Ambito 21, Milano: two primaria requests of municipio 2 go to Polo START 1, a
	// secondaria di I grado one of municipio 5 to Polo START 2, a secondaria di II grado
	// one to CTI 21; and a school enrols a minor directly (Polo START 1's territory).
	placed := b.fileCase(t, monitoringCase(enrolment.MilanoISTAT, 2, "primaria", "2017-04-12"))
	withdrawn := b.fileCase(t, monitoringCase(enrolment.MilanoISTAT, 2, "primaria", "2016-09-01"))
	polo2 := b.fileCase(t, monitoringCase(enrolment.MilanoISTAT, 5, "secondaria_primo_grado", "2013-05-20"))
	cti21 := b.fileCase(t, monitoringCase(enrolment.MilanoISTAT, 3, "secondaria_secondo_grado", "2010-02-14"))
	require.Equal(t, polo1, value(placed.Hub))
	require.Equal(t, "polo_start:polo-2", value(polo2.Hub))
	require.Equal(t, "cti:21", value(cti21.Hub))
	r := b.as(t, "school:"+schoolA, http.MethodPost, "/api/v1/enrolments/direct", map[string]any{
		"request":   monitoringCase(enrolment.MilanoISTAT, 1, "primaria", "2018-01-30"),
		"placement": map[string]any{"classYear": 2, "section": "A", "startDate": today},
	})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	direct := decodeCase(t, r)
	// Ambito 22: Sesto San Giovanni (placed) and Cinisello Balsamo; ambito 24: Abbiategrasso.
	sesto := b.fileCase(t, monitoringCase("015209", 0, "primaria", "2017-03-03"))
	cinisello := b.fileCase(t, monitoringCase("015077", 0, "primaria", "2016-11-11"))
	abbiategrasso := b.fileCase(t, monitoringCase("015002", 0, "primaria", "2017-07-07"))
	require.Equal(t, "cti:22", value(sesto.Hub))
	require.Equal(t, "cti:24", value(abbiategrasso.Hub))

	b.actOK(t, polo1, placed.Id, "proposal", map[string]any{"school": schoolB})
	b.actOK(t, "school:"+schoolB, placed.Id, "decision", map[string]any{"accept": true, "section": "B", "startDate": today})
	b.actOK(t, "comune:"+enrolment.MilanoISTAT, withdrawn.Id, "withdrawal", map[string]any{"reason": "duplicate"})
	b.actOK(t, "cti:22", sesto.Id, "proposal", map[string]any{"school": sestoSchl})
	b.actOK(t, "school:"+sestoSchl, sesto.Id, "decision", map[string]any{"accept": true, "section": "A", "startDate": today})
	open := []string{polo2.Id, cti21.Id, cinisello.Id, abbiategrasso.Id}
	require.Eventually(t, func() bool {
		for _, id := range open {
			if c := b.getCase(t, id); c.Escalated == nil || !*c.Escalated {
				return false
			}
		}
		return b.getCase(t, direct.Id).Stage == "enrolled"
	}, 30*time.Second, 200*time.Millisecond, "the open cases never went past their deadline")
	t.Logf("cases filed and past their deadlines after %v", time.Since(began).Round(time.Millisecond))

	// What UST must see, by ambito: the Poli START cases count in Milano's.
	want := map[string]figures{
		"21": {"filed": 5, "awaiting_proposal": 2, "enrolled": 2, "withdrawn": 1, "overdue": 2, "escalated": 2, "direct": 1},
		"22": {"filed": 2, "awaiting_proposal": 1, "enrolled": 1, "overdue": 1, "escalated": 1},
		"24": {"filed": 1, "awaiting_proposal": 1, "overdue": 1, "escalated": 1},
	}
	total := figures{}
	for _, f := range want {
		for k, n := range f {
			total[k] += n
		}
	}

	br := browsertest.New(t)
	const ustEmail, sestoEmail = "monitoraggio@ust.example.org", "protocollo@pec.comune.sestosangiovanni.example.org"
	b.portalAccount(t, casework.UST, "Ufficio Scolastico Territoriale", ustEmail)
	b.portalAccount(t, casework.Org{Kind: casework.OrgComune, Code: "015209"}, "Comune di Sesto San Giovanni", sestoEmail)
	ust := newPortalUser(t, br, b, "UST")
	t.Logf("browser up after %v", time.Since(began).Round(time.Millisecond))

	if !t.Run("UST asks for the figures by ambito over a period and checks the table", func(t *testing.T) {
		ust := ust.in(t)
		require.EqualValues(t, 200, ust.open("/accesso"))
		require.EqualValues(t, 200, ust.login(ustEmail, userPassword))
		require.Equal(t, "/", ust.location())
		require.EqualValues(t, 200, ust.click(`nav a[href="/monitoraggio"]`))

		// A period before the cases: none.
		ust.fillForm("hub", "2025-09-01", "2025-09-30")
		require.EqualValues(t, 200, ust.click(`#form-monitoraggio button[type=submit]`))
		require.Contains(t, ust.text(`section[aria-labelledby="titolo-casi"]`), "Nessun caso presentato nel periodo")

		// Today, by ambito.
		ust.fillForm("ambito", today, today)
		require.EqualValues(t, 200, ust.click(`#form-monitoraggio button[type=submit]`))
		loc, err := url.Parse(ust.location())
		require.NoError(t, err)
		require.Equal(t, "/monitoraggio", loc.Path)
		require.Equal(t, url.Values{"per": {"ambito"}, "dal": {today}, "al": {today}}, loc.Query())
		require.Contains(t, ust.text(`#titolo-casi`), "ambito")

		rows := ust.tableRows("#tabella-casi")
		wantRows := [][]string{}
		for _, k := range []string{"21", "22", "24"} {
			wantRows = append(wantRows, append([]string{"Ambito " + k}, want[k].row()...))
		}
		wantRows = append(wantRows, append([]string{"Totale"}, total.row()...))
		require.Equal(t, wantRows, rows, "UST's figures are suppressed too: 1 to 3 are <4")
		require.Contains(t, ust.text(`#tabella-casi caption`), "«<4»")

		// The time to placement by hub: the two minors a hub placed, not the direct one;
		// one minor each, so no median.
		placement := ust.tableRows("#tabella-tempi-hub")
		require.Len(t, placement, 2, "%v", placement)
		for _, p := range placement {
			require.Equal(t, []string{"<4", "—", "—"}, p[1:], "%v", p)
		}
		// Both charts are drawn from their tables.
		drawn, err := chromedp.Run(ust.tab, chromedp.Evaluate[[]int](
			`[...document.querySelectorAll("canvas[data-chart]")].map(c => window.Chart.getChart(c) ? window.Chart.getChart(c).data.datasets.length : -1)`))
		require.NoError(t, err)
		require.Equal(t, []int{7, 2}, drawn, "the stages stacked by month; median and p90 by hub")
		ust.checkPage("monitoring by ambito", "monitoraggio")
	}) {
		return
	}

	t.Run("UST downloads the table as XLSX, which has the same figures", func(t *testing.T) {
		ust := ust.in(t)
		link := `section[aria-labelledby="titolo-casi"] a[href$="formato=xlsx"]`
		href := ust.attr(chromedp.CSS(link), "href")
		require.Equal(t, "/monitoraggio/esporta?tabella=casi&per=ambito&dal="+today+"&al="+today+"&formato=xlsx", href)

		name, data := ust.download(link)
		require.Regexp(t, `^approdo-cases-by-ambito-from-`+strings.ReplaceAll(today, "-", "")+`-to-`+strings.ReplaceAll(today, "-", "")+`-\d{8}-\d{4}\.xlsx$`, name, "the file names the table, the filter and when it was made")
		x, err := excelize.OpenReader(bytes.NewReader(data))
		require.NoError(t, err)
		defer x.Close()
		require.Equal(t, []string{"Sheet1"}, x.GetSheetList())
		rows, err := x.GetRows("Sheet1")
		require.NoError(t, err)
		wantRows := [][]string{append([]string{"ambito"}, app.MonitoringColumns...)}
		for _, k := range []string{"21", "22", "24"} {
			wantRows = append(wantRows, append([]string{k}, want[k].row()...))
		}
		wantRows = append(wantRows, append([]string{"totale"}, total.row()...))
		require.Equal(t, wantRows, rows, "the file has the page's figures, by ambito code")
		// Counts are numbers a spreadsheet can sum; a suppressed one is the text "<4".
		for r := 2; r <= len(rows); r++ {
			for c := 2; c <= len(app.MonitoringColumns)+1; c++ {
				ref, err := excelize.CoordinatesToCellName(c, r)
				require.NoError(t, err)
				typ, err := x.GetCellType("Sheet1", ref)
				require.NoError(t, err)
				text := typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString
				require.Equal(t, rows[r-1][c-1] == "<4", text, "%s (%s): text only when suppressed", ref, rows[r-1][c-1])
			}
		}
	})

	t.Run("each worklist passes axe, and an overdue case links to its page and its workflow", func(t *testing.T) {
		ust := ust.in(t)
		uiBase := temporalServer.UIURL() + "/namespaces/" + namespace + "/workflows"
		// The overdue cases' list last: its rows are checked next.
		for _, list := range []string{"segnalati", "senza-hub", "pec-non-consegnate", "onboarding-fermi", "scaduti"} {
			require.EqualValues(t, 200, ust.open("/monitoraggio/liste?tipo="+list), list)
			require.Equal(t, "/monitoraggio/liste?tipo="+list, ust.location())
			filter := ust.attr(`#filtro-temporal`, "href")
			require.True(t, strings.HasPrefix(filter, uiBase+"?query="), "%s: %s", list, filter)
			ust.checkPage("worklist "+list, "")
		}

		caseLinks, err := chromedp.Run(ust.tab, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("#elenco-scaduti tbody tr th a")].map(a => a.getAttribute("href"))`))
		require.NoError(t, err)
		wantLinks := []string{}
		for _, id := range open {
			wantLinks = append(wantLinks, "/casi/"+id)
		}
		require.ElementsMatch(t, wantLinks, caseLinks, "the overdue cases, and only those")
		workflowLinks, err := chromedp.Run(ust.tab, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("#elenco-scaduti tbody tr td:last-child a")].map(a => a.href)`))
		require.NoError(t, err)
		wantWorkflows := []string{}
		for _, id := range open {
			wantWorkflows = append(wantWorkflows, uiBase+"/"+enrolment.WorkflowID(id))
		}
		require.ElementsMatch(t, wantWorkflows, workflowLinks)

		// The Web UI answers the row's link, and its List Filter finds the overdue cases.
		res, err := http.Get(workflowLinks[0])
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, workflowLinks[0])
		filter := ust.attr(`#filtro-temporal`, "href")
		u, err := url.Parse(filter)
		require.NoError(t, err)
		require.Contains(t, u.RawQuery, "%20", "spaces as %20")
		b.requireListedByTemporal(t, enrolment.WorkflowID(polo2.Id), u.Query().Get("query"))

		// The row leads to the case's page.
		require.EqualValues(t, 200, ust.click(chromedp.CSS(`#elenco-scaduti a[href="/casi/`+polo2.Id+`"]`)))
		require.Equal(t, "/casi/"+polo2.Id, ust.location())
	})

	t.Run("UST filters every case by hub and escalation, as the API does", func(t *testing.T) {
		ust := ust.in(t)
		require.EqualValues(t, 200, ust.open("/casi"))
		ust.choose("f-hub", "cti:22")
		ust.tick("f-segnalati")
		require.EqualValues(t, 200, ust.click(`#form-filtri button[type=submit]`))
		loc, err := url.Parse(ust.location())
		require.NoError(t, err)
		require.Equal(t, "cti:22", loc.Query().Get("hub"))
		require.Equal(t, "1", loc.Query().Get("segnalati"))
		// CTI 22 has Sesto's case, placed, and Cinisello's, open and escalated.
		require.Equal(t, []string{"/casi/" + cinisello.Id}, ust.hrefs(`#elenco-casi tbody th a`))
		ust.checkPage("UST's case list, filtered", "casi-ust")
	})

	t.Run("a comune gets the not-found page", func(t *testing.T) {
		comune := newPortalUser(t, br, b, "the Comune di Sesto San Giovanni")
		require.EqualValues(t, 200, comune.open("/accesso"))
		require.EqualValues(t, 200, comune.login(sestoEmail, userPassword))
		for _, path := range []string{
			"/monitoraggio/liste?tipo=scaduti", "/monitoraggio/esporta?tabella=casi&per=ambito&formato=xlsx", "/monitoraggio?per=comune",
		} {
			require.EqualValues(t, 404, comune.open(path), path)
			require.NotContains(t, comune.text(`main`), "Ambito", path)
		}
		exists, err := chromedp.Run(comune.tab, chromedp.Evaluate[bool](`document.querySelector('nav a[href^="/monitoraggio"], table') !== null`))
		require.NoError(t, err)
		require.False(t, exists, "no link to the monitoring and no figures")
		comune.checkPage("not found (comune, monitoring)", "")
	})
	t.Logf("TestPortalMonitoring took %v", time.Since(began).Round(time.Millisecond))
}

// fillForm sets the dashboard's form: the grouping and the period.
func (p *portalUser) fillForm(by, from, to string) {
	p.t.Helper()
	p.step(chromedp.SetValue(chromedp.ID("f-per"), by), chromedp.SetValue(chromedp.ID("f-dal"), from), chromedp.SetValue(chromedp.ID("f-al"), to))
}

// attr is an attribute of what sel finds, which must have it.
func (p *portalUser) attr(sel chromedp.CSS, name string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 20*time.Second)
	defer cancel()
	a, err := chromedp.Run(ctx, chromedp.AttributeValue(sel, name))
	require.NoError(p.t, err, "%s reads %s of %s on %s", p.name, name, sel, p.location())
	require.True(p.t, a.Exists, "%s: %s has no %s on %s", p.name, sel, name, p.location())
	return a.Value
}

// tableRows are the rows of a table's body and foot, each its cells' text.
func (p *portalUser) tableRows(table string) [][]string {
	p.t.Helper()
	rows, err := chromedp.Run(p.tab, chromedp.Evaluate[[][]string](
		`[...document.querySelectorAll(`+strconv.Quote(table+" tbody tr, "+table+" tfoot tr")+`)].map(r => [...r.cells].map(c => c.textContent.trim()))`))
	require.NoError(p.t, err, "%s reads %s on %s", p.name, table, p.location())
	return rows
}

// download clicks a link to a file, as a person does, and returns the name the server
// gave the file and its content. The tab saves downloads into a folder of the test.
func (p *portalUser) download(link string) (string, []byte) {
	p.t.Helper()
	dir := p.t.TempDir()
	ctx, cancel := context.WithTimeout(p.tab, 30*time.Second)
	defer cancel()
	begin := chromedp.Events(ctx, browser.DownloadWillBegin)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	require.NoError(p.t, chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior:         browser.SetDownloadBehaviorBehaviorAllowAndName,
				BrowserContextID: chromedp.FromContext(p.tab).BrowserContextID,
				DownloadPath:     dir,
				EventsEnabled:    new(true),
			})
			return err
		}),
		chromedp.Click(chromedp.CSS(link)),
	), "%s clicks %s", p.name, link)
	var name string
	for ev, err := range begin {
		require.NoError(p.t, err, "%s: no download began", p.name)
		name = ev.SuggestedFilename
		break
	}
	for ev, err := range progress {
		require.NoError(p.t, err, "%s: the download never completed", p.name)
		if ev.State == browser.DownloadProgressStateCanceled {
			p.t.Fatalf("%s: the download of %s was cancelled", p.name, link)
		}
		if ev.State != browser.DownloadProgressStateCompleted {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, ev.GUID))
		require.NoError(p.t, err)
		return name, data
	}
	p.t.Fatalf("%s: the download of %s never completed", p.name, link)
	return "", nil
}
