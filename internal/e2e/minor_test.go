package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/store"
)

// One record per minor (issue 16), through the API on the real stack.

var provisionalCodes atomic.Int64

func init() { provisionalCodes.Store(4_000_000_000) }

// provisionalCodiceFiscale returns a valid provisional codice fiscale (11 digits) never
// returned before in this process: each test body names a minor of its own.
func provisionalCodiceFiscale() string {
	digits := fmt.Sprintf("%010d", provisionalCodes.Add(1))
	sum := 0
	for i, c := range digits {
		d := int(c - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return digits + fmt.Sprint((10-sum%10)%10)
}

// sameMinor is body with a new request ID and the minor's names changed: the same minor
// as filed by another office.
func sameMinor(body map[string]any, given, family, codiceFiscale string) map[string]any {
	var again map[string]any
	data, _ := json.Marshal(body)
	_ = json.Unmarshal(data, &again)
	again["requestId"] = newRequestID()
	m := again["minor"].(map[string]any)
	m["givenName"], m["familyName"] = given, family
	if codiceFiscale == "" {
		delete(m, "codiceFiscale")
	} else {
		m["codiceFiscale"] = codiceFiscale
	}
	return again
}

func newRequestID() string { return validBody()["requestId"].(string) }

func TestASchoolRegisteringAFiledMinorClosesTheOpenCase(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	filed := validBody()
	c := b.fileCase(t, filed)
	require.Equal(t, "awaiting_proposal", c.Stage)

	// The school types the names from the family's Ukrainian passport and has no codice
	// fiscale: the names and the birth date find the comune's case.
	today := time.Now().Format(time.DateOnly)
	direct := map[string]any{
		"request":   sameMinor(filed, "Олена", "Коваленко", ""),
		"placement": map[string]any{"classYear": 3, "section": "B", "startDate": today},
	}
	r := b.as(t, "school:"+schoolA, http.MethodPost, "/api/v1/enrolments/direct", direct)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	merged := decodeCase(t, r)
	require.Equal(t, c.Id, merged.Id, "the open case answers, no second case")
	var got api.EnrolmentCase
	require.Eventually(t, func() bool {
		got = b.getCase(t, c.Id)
		return got.Stage == "enrolled"
	}, 20*time.Second, 100*time.Millisecond)
	require.True(t, got.Placement.Direct)
	require.Equal(t, schoolA, got.Placement.School)
	require.Equal(t, 3, got.Placement.Year)
	require.Nil(t, got.Task, "nobody waits for a proposal any more")
	events := *got.Timeline
	last := events[len(events)-1]
	require.Equal(t, "enrolled_directly", last.Kind)
	require.Equal(t, "school:"+schoolA, *last.Actor)
	require.Equal(t, 1, b.countCases(t))
	b.requireNotified(t, c.Id, "direct_enrolment", "comune:"+enrolment.MilanoISTAT)
	b.requireNotified(t, c.Id, "direct_enrolment", *c.Hub)

	// The school sees the case now (it is enrolled there), and its repeated filing gets
	// the same answer without enrolling twice.
	require.Equal(t, http.StatusOK, b.as(t, "school:"+schoolA, http.MethodGet, "/api/v1/enrolments/"+c.Id, nil).status)
	again := b.as(t, "school:"+schoolA, http.MethodPost, "/api/v1/enrolments/direct", direct)
	require.Equal(t, http.StatusOK, again.status, string(again.body))
	require.Equal(t, c.Id, decodeCase(t, again).Id)
	require.Len(t, *b.getCase(t, c.Id).Timeline, len(events))

	// Monitoring counts the minor once: one filing, enrolled, directly.
	figures, err := store.New(b.pool).MonitoringFigures(store.WithOrg(b.ctx, "ust"), store.ByComune, store.Period{}, time.Now())
	require.NoError(t, err)
	require.Len(t, figures, 1)
	require.Equal(t, 1, figures[0].Filed)
	require.Equal(t, 1, figures[0].Enrolled)
	require.Equal(t, 1, figures[0].Direct)

	if *updateHistories {
		writeHistory(t, b.temporal, c.WorkflowId, "enrolment_closed_by_direct_enrolment.json")
	}
}

func TestAComuneRefilingInCyrillicGetsItsOpenCase(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	filed := validBody()
	c := b.fileCase(t, filed)

	again := sameMinor(filed, "ОЛЕНА", "коваленко", "")
	r := b.post(t, again)
	require.Equal(t, http.StatusConflict, r.status, string(r.body))
	p := decodeProblem(t, r)
	require.Equal(t, "urn:approdo:problem:duplicate-minor", p.Type)
	require.NotNil(t, p.ExistingCase, string(r.body))
	require.Equal(t, c.Id, p.ExistingCase.String())
	require.Contains(t, *p.Detail, c.Id)
	require.NotContains(t, string(r.body), "Olena", "the answer names the case, not the minor")
	require.Equal(t, 1, b.countCases(t))
	last := (*b.getCase(t, c.Id).Timeline)
	require.NotEqual(t, "duplicate_filed", last[len(last)-1].Kind, "a comune that sees the case is simply told")

	// Another minor, a namesake with a different provisional code, is not this one.
	namesake := sameMinor(filed, "Olena", "Kovalenko", provisionalCodiceFiscale())
	other := b.post(t, namesake)
	require.Equal(t, http.StatusCreated, other.status, string(other.body))
	otherID := decodeCase(t, other).Id

	// Nor may a correction make the namesake's case name the first minor: no second open
	// case of one minor, whichever way.
	fix := amendBody(namesake, "definitive_codice_fiscale", func(r map[string]any) {
		r["minor"].(map[string]any)["codiceFiscale"] = filed["minor"].(map[string]any)["codiceFiscale"]
	})
	require.Eventually(t, func() bool {
		return b.getCase(t, otherID).Stage == "awaiting_proposal"
	}, 30*time.Second, 100*time.Millisecond, "the namesake's case is routed")
	r = b.as(t, "comune:"+enrolment.MilanoISTAT, http.MethodPost, "/api/v1/enrolments/"+otherID+"/amend", fix)
	require.Equal(t, http.StatusConflict, r.status, string(r.body))
	require.Equal(t, c.Id, decodeProblem(t, r).ExistingCase.String())
	require.Equal(t, namesake["minor"].(map[string]any)["codiceFiscale"], *b.getCase(t, otherID).Minor.CodiceFiscale, "nothing changed")
}

func TestTwoFilingsOfOneMinorAtOnceOpenOneCase(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	first := validBody()
	spellings := [][2]string{{"Olena", "Kovalenko"}, {"Олена", "Коваленко"}, {"OLENA", "KOVALENKO"}, {"Olena", "Kovalenko"}}
	var wg sync.WaitGroup
	answers := make([]response, len(spellings))
	for i, name := range spellings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = b.post(t, sameMinor(first, name[0], name[1], ""))
		}()
	}
	wg.Wait()
	var created []string
	var existing []string
	for _, r := range answers {
		switch r.status {
		case http.StatusCreated:
			created = append(created, decodeCase(t, r).Id)
		case http.StatusConflict:
			p := decodeProblem(t, r)
			require.Equal(t, "urn:approdo:problem:duplicate-minor", p.Type)
			require.NotNil(t, p.ExistingCase, string(r.body))
			existing = append(existing, p.ExistingCase.String())
		default:
			t.Fatalf("unexpected answer %d: %s", r.status, r.body)
		}
	}
	require.Len(t, created, 1, "one filing opens the case")
	for _, id := range existing {
		require.Equal(t, created[0], id, "every other filing is told which")
	}
	require.Equal(t, 1, b.countCases(t))
}

func TestAComuneThatCannotSeeTheOpenCaseGetsNoPersonalDataOfIt(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	filed := validBody()
	c := b.fileCase(t, filed)

	// The family moved to Sesto San Giovanni, whose office files the minor again.
	sesto := sameMinor(filed, "Olena", "Kovalenko", filed["minor"].(map[string]any)["codiceFiscale"].(string))
	sesto["comune"] = "015209"
	delete(sesto["residence"].(map[string]any), "municipio")
	r := b.post(t, sesto)
	require.Equal(t, http.StatusConflict, r.status, string(r.body))
	p := decodeProblem(t, r)
	require.Equal(t, "urn:approdo:problem:duplicate-minor", p.Type)
	require.Nil(t, p.ExistingCase, "the case is not the comune's to see")
	require.Contains(t, *p.Detail, "UST")
	for _, secret := range []string{c.Id, "Via Padova", "Iryna", "logopedia", *c.Hub} {
		require.NotContains(t, string(r.body), secret)
	}
	require.Equal(t, http.StatusNotFound, b.doAs(t, "comune:015209", http.MethodGet, "/api/v1/enrolments/"+c.Id, "", "").status)
	require.Equal(t, 1, b.countCases(t))

	// UST is told on the open case, which waits for it to reconcile the two.
	var got api.EnrolmentCase
	require.Eventually(t, func() bool {
		got = b.getCase(t, c.Id)
		return got.Escalated != nil && *got.Escalated
	}, 20*time.Second, 100*time.Millisecond)
	require.Equal(t, "possible_duplicate", *got.EscalationReason)
	events := *got.Timeline
	last := events[len(events)-1]
	require.Equal(t, "duplicate_filed", last.Kind)
	require.Equal(t, "comune:015209", *last.Actor)
	b.requireNotified(t, c.Id, "duplicate_filed", "ust")

	// Filing again is answered the same way and tells UST once.
	require.Equal(t, http.StatusConflict, b.post(t, sesto).status)
	require.Len(t, *b.getCase(t, c.Id).Timeline, len(events))

	// UST reconciles: the family moved, so the case follows it to Sesto, which sees it.
	moved := b.as(t, "ust", http.MethodPost, "/api/v1/enrolments/"+c.Id+"/transfer", map[string]any{"comune": "015209"})
	require.Equal(t, http.StatusOK, moved.status, string(moved.body))
	require.Equal(t, http.StatusOK, b.doAs(t, "comune:015209", http.MethodGet, "/api/v1/enrolments/"+c.Id, "", "").status)
	r = b.post(t, sesto)
	require.Equal(t, http.StatusConflict, r.status)
	require.Equal(t, c.Id, decodeProblem(t, r).ExistingCase.String(), "now it is named")
	require.False(t, strings.Contains(string(r.body), "Olena"))
}

// TestPortalComuneRefilingAMinorIsLedToItsCase: in the portal, a comune that fills in the
// request of a minor it already filed (in Cyrillic this time) is told so, with a link to
// the open case, on a page that passes axe.
func TestPortalComuneRefilingAMinorIsLedToItsCase(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	br := browsertest.New(t)
	c := b.fileCase(t, validBody())
	const email = "anagrafe@comune.milano.example.org"
	b.portalAccount(t, casework.Org{Kind: casework.OrgComune, Code: enrolment.MilanoISTAT}, "Comune di Milano", email)
	comune := newPortalUser(t, br, b, "the Comune di Milano")
	require.EqualValues(t, 200, comune.open("/accesso"))
	require.EqualValues(t, 200, comune.login(email, userPassword))

	require.EqualValues(t, 200, comune.open("/casi/nuovo"))
	comune.choose("f-level", "primaria")
	comune.choose("f-origin", "ukrainian_refugee")
	comune.fill("f-minor-givenName", "Олена")
	comune.fill("f-minor-familyName", "Коваленко")
	comune.setDate("f-minor-birthDate", "2017-04-12")
	comune.choose("f-minor-sex", "F")
	comune.fill("f-minor-citizenship", "UA")
	comune.fill("f-languages", "uk")
	comune.fill("f-guardian-name", "Iryna Kovalenko")
	comune.fill("f-guardian-phone", "+39 333 1234567")
	comune.fill("f-residence-address", "Via Padova 100")
	comune.choose("f-residence-municipio", "2")
	require.EqualValues(t, 409, comune.click(`#form-nuova-richiesta button[type=submit]`))
	link := chromedp.CSS(`#riepilogo-errori a[href="/casi/` + c.Id + `"]`)
	comune.sees(link)
	require.Equal(t, "Коваленко", comune.value("f-minor-familyName"), "what was typed is kept")
	comune.checkPage("new request refused: the minor has an open case", "")
	require.EqualValues(t, 200, comune.click(link))
	require.Equal(t, "/casi/"+c.Id, comune.location())
	require.Equal(t, 1, b.countCases(t))
}
