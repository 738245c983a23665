package apifuzz_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The fuzz targets, one per group of operations that share their fixtures. Each input is
// an operation (any byte picks one of the target's) and the bytes of its body.

// enrolmentRequest is a valid filing; n makes its minor another one, since a minor has
// one open case.
func enrolmentRequest(n int) map[string]any {
	return map[string]any{
		"requestId": fmt.Sprintf("4b0e4f6e-8f7b-4c1e-9a43-%012d", n),
		"comune":    "015146",
		"level":     "primaria",
		"minor": map[string]any{
			"givenName": "Olena", "familyName": "Kovalenko" + strings.Repeat("a", n%40), "birthDate": fmt.Sprintf("2017-04-%02d", 1+n%28),
			"sex": "F", "citizenship": "UA", "codiceFiscale": "RSSMRA85T10A562S",
		},
		"languages":      []string{"uk", "ru"},
		"priorSchooling": map[string]any{"years": 3, "lastClassAbroad": "3"},
		"specialNeeds":   map[string]any{"present": true, "note": "segue logopedia"},
		"guardian":       map[string]any{"name": "Iryna Kovalenko", "phone": "+39 333 1234567", "preferredLanguage": "uk"},
		"residence":      map[string]any{"address": "Via Padova 100", "municipio": 2},
		"origin":         "ukrainian_refugee",
	}
}

var filingTarget = &target{ops: []operation{
	{id: "createEnrolment", org: orgComune, method: http.MethodPost, path: "/api/v1/enrolments", valid: enrolmentRequest(1)},
	{id: "createDirectEnrolment", org: orgSchool, method: http.MethodPost, path: "/api/v1/enrolments/direct", valid: map[string]any{
		"request":   enrolmentRequest(2),
		"placement": map[string]any{"section": "B", "startDate": "2026-11-30", "classYear": 3},
	}}}}

// FuzzFiling: a comune files a request, a school enrols a minor directly.
func FuzzFiling(f *testing.F) { fuzz(f, filingTarget, nil) }

// The actions on an enrolment case; each acts on a case of its own, in the stage where
// it is expected, so that a valid body moves it.
var caseTarget = &target{ops: []operation{
	{id: "proposeSchool", org: orgHub, path: "proposal", valid: map[string]any{"school": schoolA}},
	{id: "decideProposal", org: orgSchool, path: "decision", valid: map[string]any{"accept": true, "section": "B", "startDate": "2026-11-30"}},
	{id: "withdrawProposal", org: orgHub, path: "proposal-withdrawal", valid: map[string]any{"note": "la scuola ha chiesto più tempo"}},
	{id: "reassignCase", org: orgUST, path: "reassignment", valid: map[string]any{"hub": "polo-2", "note": "carico di lavoro"}},
	{id: "withdrawEnrolment", org: orgComune, path: "withdrawal", valid: map[string]any{"reason": "moved_abroad", "note": "trasferita"}},
	{id: "eraseEnrolment", org: orgUST, path: "erasure", valid: map[string]any{"reason": "richiesta della famiglia, prot. 123/2026"}},
	{id: "transferCase", org: orgComune, path: "transfer", valid: map[string]any{"comune": "015209", "municipio": 1, "note": "trasloco"}},
	{id: "amendEnrolment", org: orgComune, path: "amend", valid: map[string]any{"reason": "typo", "note": "nome", "request": enrolmentRequest(3)}},
	{id: "confirmAttendance", org: orgSchool, path: "attendance", valid: map[string]any{"attending": true, "note": "frequenta"}},
	{id: "reportDropoutRisk", org: orgSchool, path: "dropout-report", valid: map[string]any{"note": "assenze ripetute"}},
}}

// caseStage says which case each action gets: proposed to school A, enrolled there, or
// just routed to its hub.
var caseStage = map[string]string{
	"decideProposal": "proposed", "withdrawProposal": "proposed",
	"confirmAttendance": "enrolled", "reportDropoutRisk": "enrolled",
}

func init() {
	for i := range caseTarget.ops {
		caseTarget.ops[i].method = http.MethodPost
		caseTarget.ops[i].path = "/api/v1/enrolments/{subject}/" + caseTarget.ops[i].path
	}
}

// FuzzCaseAction: the hub's, the school's, the comune's and UST's actions on a case.
func FuzzCaseAction(f *testing.F) {
	fuzz(f, caseTarget, func(tb testing.TB, s *stack, tg *target) {
		ids := make([]string, len(tg.ops))
		for i, o := range tg.ops {
			ids[i] = o.id
		}
		n := 100
		numbers := map[string]int{}
		for _, id := range ids {
			numbers[id] = n
			n++
		}
		tg.subjects = parallel(tb, ids, func(id string) (string, error) {
			return s.caseAt(numbers[id], caseStage[id])
		})
	})
}

// caseAt files case n and takes it to stage ("" routed, "proposed", "enrolled").
func (s *stack) caseAt(n int, stage string) (string, error) {
	id, err := s.fileCase(n)
	if err != nil || stage == "" {
		return id, err
	}
	if err := s.act(orgHub, id, "proposal", map[string]any{"school": schoolA}); err != nil {
		return id, err
	}
	if stage == "enrolled" {
		return id, s.act(orgSchool, id, "decision", map[string]any{"accept": true, "section": "B", "startDate": time.Now().Format(time.DateOnly)})
	}
	return id, nil
}

func (s *stack) fileCase(n int) (string, error) {
	body := enrolmentRequest(n)
	body["requestId"] = uuid.NewString()
	// Without a codice fiscale: the fixtures' minors are told apart by name and birth date.
	delete(body["minor"].(map[string]any), "codiceFiscale")
	data, _ := json.Marshal(body)
	a := s.send(http.MethodPost, "/api/v1/enrolments", orgComune, data)
	if a.status != http.StatusCreated {
		return "", fmt.Errorf("filing: %d %s", a.status, a.body)
	}
	var c struct{ ID string }
	if err := json.Unmarshal(a.body, &c); err != nil {
		return "", err
	}
	// Routed to its hub: the stage where the hub proposes.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		r := s.send(http.MethodGet, "/api/v1/enrolments/"+c.ID, orgUST, nil)
		var got struct{ Stage string }
		_ = json.Unmarshal(r.body, &got)
		if r.status == http.StatusOK && got.Stage == "awaiting_proposal" {
			return c.ID, nil
		}
	}
	return "", fmt.Errorf("case %d not routed", n)
}

func (s *stack) act(org, id, action string, body any) error {
	data, _ := json.Marshal(body)
	a := s.send(http.MethodPost, "/api/v1/enrolments/"+id+"/"+action, org, data)
	if a.status != http.StatusOK {
		return fmt.Errorf("%s: %d %s", action, a.status, a.body)
	}
	return nil
}

// family is a valid request of the Prefettura for a reunified family.
func family(reference string) map[string]any {
	return map[string]any{
		"reference": reference,
		"sponsor": map[string]any{"givenName": "Ahmed", "familyName": "Benali", "phone": "+39 333 0000000",
			"comune": "015146", "address": "Via Padova 10", "municipio": 2},
		"members": []map[string]any{
			{"givenName": "Amina", "familyName": "Benali", "birthDate": "2017-04-12", "relation": "child", "sex": "F", "citizenship": "MA"},
			{"givenName": "Fatima", "familyName": "Zahra", "birthDate": "1988-01-01", "relation": "spouse", "citizenship": "MA"},
		},
		"nullaOsta": map[string]any{"number": "NO-2026-77", "issuedOn": "2026-10-30"},
		"language":  "ar",
	}
}

var journeyTarget = &target{ops: []operation{
	{id: "createReunification", org: orgPrefettura, path: "/api/v1/reunifications", valid: family("PREF-MI-2026-FUZZ")},
	{id: "recordContactAttempt", org: orgOneStopShop, path: "contact-attempts", valid: map[string]any{"outcome": "reached", "note": "al telefono"}},
	{id: "scheduleInterview", org: orgOneStopShop, path: "interview-schedule", valid: map[string]any{"at": "2026-12-02T10:00:00+01:00"}},
	{id: "recordInterview", org: orgOneStopShop, path: "interview", valid: map[string]any{"held": true, "supportAreas": []string{"school"}, "note": "colloquio"}},
	{id: "recordArrival", org: orgOneStopShop, path: "arrival", valid: map[string]any{"date": "2026-11-30"}},
	{id: "recordPermesso", org: orgOneStopShop, path: "permesso", valid: map[string]any{"date": "2026-11-30"}},
	{id: "recordFamilyFollowUp", org: orgOneStopShop, path: "follow-ups", valid: map[string]any{"note": "tutto bene", "planComplete": false}},
	{id: "enrolFamilyMember", org: orgOneStopShop, path: "member-enrolments", valid: map[string]any{"member": 0, "level": "primaria", "note": "iscrizione"}},
}}

func init() {
	for i := range journeyTarget.ops {
		journeyTarget.ops[i].method = http.MethodPost
		if i > 0 {
			journeyTarget.ops[i].path = "/api/v1/reunifications/{subject}/" + journeyTarget.ops[i].path
		}
	}
}

// FuzzJourney: the Prefettura's request for a family and the one-stop shop's steps of its
// journey, all on one journey.
func FuzzJourney(f *testing.F) {
	fuzz(f, journeyTarget, func(tb testing.TB, s *stack, tg *target) {
		a := s.sendJSON(tb, http.MethodPost, "/api/v1/reunifications", orgPrefettura, family("PREF-MI-2026-FIXTURE"), http.StatusCreated)
		id := strings.TrimPrefix(a.location, "/api/v1/reunifications/")
		eventually(tb, "the journey", func() bool {
			return s.send(http.MethodGet, "/api/v1/reunifications/"+id, orgOneStopShop, nil).status == http.StatusOK
		})
		tg.subjects = map[string]string{}
		for _, o := range tg.ops {
			tg.subjects[o.id] = id
		}
	})
}

var interventionTarget = &target{ops: []operation{
	{id: "takeChargeOfIntervention", org: orgOrientation, path: "take-charge", valid: map[string]any{"operator": "Giulia Rossi", "note": "presa in carico"}},
	{id: "recordInterventionInterview", org: orgOrientation, path: "interview", valid: map[string]any{"date": "2026-11-30", "withFamily": true, "note": "colloquio"}},
	{id: "agreeInterventionPlan", org: orgOrientation, path: "plan", valid: map[string]any{"actions": []string{"tutoraggio"}, "reviewDates": []string{"2027-01-15"}}},
	{id: "recordInterventionReview", org: orgOrientation, path: "review", valid: map[string]any{"attending": true, "date": "2026-11-30", "note": "frequenta"}},
	{id: "closeIntervention", org: orgOrientation, path: "close", valid: map[string]any{"outcome": "school_change", "note": "nuova scuola"}},
}}

func init() {
	for i := range interventionTarget.ops {
		interventionTarget.ops[i].method = http.MethodPost
		interventionTarget.ops[i].path = "/api/v1/interventions/{subject}/" + interventionTarget.ops[i].path
	}
}

// FuzzIntervention: the orientation service's steps of an intervention. Closing gets an
// intervention of its own, so that a valid close leaves the others open.
func FuzzIntervention(f *testing.F) {
	fuzz(f, interventionTarget, func(tb testing.TB, s *stack, tg *target) {
		made := parallel(tb, []string{"open", "closing"}, func(k string) (string, error) {
			n := 200
			if k == "closing" {
				n = 201
			}
			id, err := s.caseAt(n, "enrolled")
			if err != nil {
				return "", err
			}
			if err := s.act(orgSchool, id, "dropout-report", map[string]any{"note": "assenze ripetute"}); err != nil {
				return "", err
			}
			in := "intervention-" + id + "-report-1"
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if s.send(http.MethodGet, "/api/v1/interventions/"+in, orgOrientation, nil).status == http.StatusOK {
					return in, nil
				}
			}
			return "", fmt.Errorf("no intervention for case %d", n)
		})
		tg.subjects = map[string]string{}
		for _, o := range tg.ops {
			tg.subjects[o.id] = made["open"]
		}
		tg.subjects["closeIntervention"] = made["closing"]
	})
}

var accountTarget = &target{ops: []operation{
	{id: "login", path: "/api/v1/auth/login", valid: map[string]any{"email": "anna@polo1.example.org", "password": "una password lunga abbastanza"}},
	{id: "changePassword", org: orgHub, path: "/api/v1/auth/password", valid: map[string]any{"currentPassword": "una password lunga abbastanza", "newPassword": "un'altra password lunga"}},
	{id: "requestPasswordReset", path: "/api/v1/auth/password/reset", valid: map[string]any{"email": "anna@polo1.example.org"}},
	{id: "setPassword", path: "/api/v1/auth/password/set", valid: map[string]any{"token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "newPassword": "un'altra password lunga"}},
	{id: "inviteUser", org: orgHub, path: "/api/v1/organisation/users", valid: map[string]any{"email": "referente@polo1.example.org", "name": "Referente", "role": "operator"}},
	{id: "createOrganisationToken", org: orgHub, path: "/api/v1/organisation/tokens", valid: map[string]any{"name": "gestionale", "role": "operator", "ttlDays": 30}},
	{id: "startOnboarding", org: orgUST, path: "/api/v1/onboardings", valid: map[string]any{"group": "hubs"}},
	{id: "resendCredentials", org: orgUST, path: "/api/v1/onboardings/resend", valid: map[string]any{"org": orgComune, "requestId": "7d1c2a9e-3f4b-4c5d-8e6f-0a1b2c3d4e5f"}},
}}

func init() {
	for i := range accountTarget.ops {
		accountTarget.ops[i].method = http.MethodPost
	}
}

// FuzzAccount: password login and its changes, an organisation's users and tokens, and
// UST's onboardings.
func FuzzAccount(f *testing.F) { fuzz(f, accountTarget, nil) }

// targets are every fuzz target with its operations, for the seeds.
var targets = map[string]*target{
	"FuzzFiling":       filingTarget,
	"FuzzCaseAction":   caseTarget,
	"FuzzJourney":      journeyTarget,
	"FuzzIntervention": interventionTarget,
	"FuzzAccount":      accountTarget,
}
