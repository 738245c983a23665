package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// The organisations of the access matrix, against one case of comune 015146, routed to
// Polo START 1 and proposed to school A.
const (
	orgUST          = "ust"
	orgComune       = "comune:015146"
	orgOtherComune  = "comune:015209"
	orgHub          = polo1
	orgOtherHub     = "cti:22"
	orgSchool       = "school:" + schoolA
	orgOtherSchool  = "school:" + schoolB
	orgNone         = ""
	schoolBadReason = "nope"
)

var matrixOrgs = []string{orgUST, orgComune, orgOtherComune, orgHub, orgOtherHub, orgSchool, orgOtherSchool, orgNone}

// TestAccessMatrix asserts, for every endpoint and every kind of organisation, who gets
// an answer, who is refused (403) and who is not even told that the case exists (404).
// The actions carry a value the case refuses, so that none changes it and the matrix
// shows only who gets as far as the case's own checks (409 or 422 means "allowed here").
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	b.actOK(t, orgHub, c.Id, "proposal", map[string]any{"school": schoolA})
	path := "/api/v1/enrolments/" + c.Id

	type cell struct {
		method, path string
		body         any
		want         map[string]int
	}
	all := func(status int) map[string]int {
		m := map[string]int{}
		for _, o := range matrixOrgs {
			m[o] = status
		}
		m[orgNone] = http.StatusUnauthorized
		return m
	}
	with := func(m map[string]int, overrides map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range m {
			out[k] = v
		}
		for k, v := range overrides {
			out[k] = v
		}
		return out
	}
	foreign := map[string]int{orgOtherComune: 404, orgOtherHub: 404, orgOtherSchool: 404, orgNone: 401}
	seen := with(all(http.StatusOK), foreign)

	cells := []cell{
		{"GET", path, nil, seen},
		{"GET", "/api/v1/enrolments", nil, all(http.StatusOK)},
		{"GET", "/api/v1/tasks", nil, all(http.StatusOK)},
		{"GET", "/api/v1/monitoring", nil, all(http.StatusOK)},
		{"GET", "/api/v1/audit", nil, with(all(http.StatusForbidden), map[string]int{orgUST: 200})},
		{"POST", path + "/proposal", map[string]any{"school": schoolB},
			with(all(http.StatusForbidden), with(foreign, map[string]int{orgUST: 409, orgHub: 409}))},
		{"POST", path + "/decision", map[string]any{"accept": false, "reason": schoolBadReason},
			with(all(http.StatusForbidden), with(foreign, map[string]int{orgSchool: 422}))},
		{"POST", path + "/withdrawal", map[string]any{"reason": schoolBadReason},
			with(all(http.StatusForbidden), with(foreign, map[string]int{orgUST: 422, orgComune: 422}))},
		{"POST", path + "/transfer", map[string]any{"comune": "015146", "municipio": 2},
			with(all(http.StatusForbidden), with(foreign, map[string]int{orgUST: 422, orgComune: 422}))},
		{"POST", path + "/reassignment", map[string]any{"hub": "cti:22"},
			with(all(http.StatusForbidden), with(foreign, map[string]int{orgUST: 409, orgHub: 409}))},
		{"POST", path + "/attendance", map[string]any{"attending": true},
			with(all(http.StatusConflict), foreign)},
		{"POST", path + "/proposal-withdrawal", map[string]any{},
			with(all(http.StatusForbidden), with(foreign, map[string]int{orgUST: 0, orgHub: 0}))},
	}
	for _, cl := range cells {
		for _, org := range matrixOrgs {
			want := cl.want[org]
			if want == 0 {
				continue // would change the case: checked below
			}
			var r response
			if cl.body == nil {
				r = b.doAs(t, org, cl.method, cl.path, "", "")
			} else {
				data, err := json.Marshal(cl.body)
				require.NoError(t, err)
				r = b.doAs(t, org, cl.method, cl.path, "application/json", string(data))
			}
			require.Equal(t, want, r.status, "%s %s as %q: %s", cl.method, cl.path, org, r.body)
			if want >= 400 {
				decodeProblem(t, r)
			}
		}
	}

	// Lists show each organisation only its cases.
	for org, n := range map[string]int{orgUST: 1, orgComune: 1, orgOtherComune: 0, orgHub: 1, orgOtherHub: 0, orgSchool: 1, orgOtherSchool: 0} {
		r := b.doAs(t, org, "GET", "/api/v1/enrolments", "", "")
		var l api.CaseList
		require.NoError(t, json.Unmarshal(r.body, &l))
		require.Len(t, l.Items, n, org)
	}

	// The hub may withdraw its proposal: the one action of the matrix that changes the case.
	require.Equal(t, http.StatusOK, b.doAs(t, orgHub, "POST", path+"/proposal-withdrawal", "application/json", "{}").status)
	// The school it was proposed to keeps seeing the case it was asked about.
	require.Equal(t, http.StatusOK, b.doAs(t, orgSchool, "GET", path, "", "").status)

	// Filing and direct enrolment: the comune of residence or UST files; only a school
	// registers a direct enrolment.
	for org, want := range map[string]int{orgUST: 201, orgComune: 201, orgOtherComune: 403, orgHub: 403, orgSchool: 403, orgNone: 401} {
		data, err := json.Marshal(validBody())
		require.NoError(t, err)
		r := b.doAs(t, org, "POST", "/api/v1/enrolments", "application/json", string(data))
		require.Equal(t, want, r.status, "file as %q: %s", org, r.body)
	}
	for org, want := range map[string]int{orgUST: 403, orgComune: 403, orgHub: 403, orgOtherSchool: 201, orgNone: 401} {
		data, err := json.Marshal(map[string]any{"request": validBody(), "placement": map[string]any{"section": "A", "startDate": c.CreatedAt.Format("2006-01-02")}})
		require.NoError(t, err)
		r := b.doAs(t, org, "POST", "/api/v1/enrolments/direct", "application/json", string(data))
		require.Equal(t, want, r.status, "direct enrolment as %q: %s", org, r.body)
	}
}

func TestEachReaderGetsOnlyTheFieldsItNeeds(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	b.actOK(t, orgComune, c.Id, "transfer", map[string]any{"comune": "015209"})
	get := func(org string) api.EnrolmentCase {
		r := b.doAs(t, org, "GET", "/api/v1/enrolments/"+c.Id, "", "")
		require.Equal(t, http.StatusOK, r.status, org)
		return decodeCase(t, r)
	}
	require.Equal(t, "segue logopedia", *get(orgComune).SpecialNeeds.Note, "the comune that wrote it")
	require.Equal(t, "segue logopedia", *get("cti:22").SpecialNeeds.Note, "the hub")
	require.Nil(t, get(orgOtherComune).SpecialNeeds.Note, "the comune it moved to")
	// The comune the family left still sees the case it filed, but may neither withdraw
	// it nor move it back.
	b.actProblem(t, orgComune, c.Id, "withdrawal", map[string]any{"reason": "moved_abroad"}, http.StatusForbidden)
	b.actProblem(t, orgComune, c.Id, "transfer", map[string]any{"comune": "015146", "municipio": 2}, http.StatusForbidden)

	// The school proposed sees the note, but not why the family migrated.
	b.actOK(t, "cti:22", c.Id, "proposal", map[string]any{"school": sestoSchl})
	school := get("school:" + sestoSchl)
	require.Equal(t, "segue logopedia", *school.SpecialNeeds.Note)
	require.Nil(t, school.Origin)
	require.NotNil(t, get("cti:22").Origin)

	// Once it refuses, it still sees the case for a while (to answer for its refusal),
	// but the pupil's needs are no longer its business.
	b.actOK(t, "school:"+sestoSchl, c.Id, "decision", map[string]any{"accept": false, "reason": "no_seats"})
	refused := get("school:" + sestoSchl)
	require.Nil(t, refused.SpecialNeeds.Note)
	require.Equal(t, "segue logopedia", *get("cti:22").SpecialNeeds.Note)
}

// The audit log names where each request came from, what it was about when it was no
// case, and whom a refused credential tried to be.
func TestAuditLogNamesClientAndSubject(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	b.doAs(t, orgHub, "GET", "/api/v1/enrolments/"+c.Id, "", "")
	b.doAs(t, orgOrientation, "GET", "/api/v1/interventions/intervention-"+c.Id+"-report-1", "", "")
	refused := b.as(t, "", "GET", "/api/v1/enrolments", nil, "Authorization", "Bearer apd_not-a-token")
	require.Equal(t, http.StatusUnauthorized, refused.status)
	login := b.as(t, "", "POST", "/api/v1/auth/login", map[string]any{"email": "Nessuno@Comune.example.it", "password": "sbagliata-sbagliata"})
	require.Equal(t, http.StatusUnauthorized, login.status, "the handler still reads the body: %s", login.body)

	entries := func(where string, args ...any) []string {
		rows, err := b.pool.Query(b.ctx, "SELECT actor || ' ' || action || ' ' || outcome || ' ' || client_address || ' ' || subject FROM audit_log WHERE "+where, args...)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return out
	}
	require.Contains(t, entries("case_id = $1 AND organisation = $2", c.Id, orgHub)[0], " 200 127.0.0.1 ")
	intervention := entries("organisation = 'orientation'")
	require.Len(t, intervention, 1)
	require.Regexp(t, `^token:\S+ GET /api/v1/interventions/:id 404 127\.0\.0\.1 intervention:intervention-`+c.Id+`-report-1$`, intervention[0])
	require.Regexp(t, `^anonymous GET /api/v1/enrolments 401 127\.0\.0\.1 unknown-token:[0-9a-f]{16}$`, entries("action = 'GET /api/v1/enrolments' AND outcome = '401'")[0])
	require.Equal(t, []string{"anonymous POST /api/v1/auth/login 401 127.0.0.1 unknown-user:" + app.AddressFingerprint("nessuno@comune.example.it")},
		entries("action = 'POST /api/v1/auth/login'"), "an address that is nobody's is kept as a fingerprint only")
}

func TestAuditLogRecordsReads(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	b.doAs(t, orgHub, "GET", "/api/v1/enrolments/"+c.Id, "", "")
	b.doAs(t, orgOtherHub, "GET", "/api/v1/enrolments/"+c.Id, "", "")

	r := b.do(t, "GET", "/api/v1/audit?case="+c.Id, "", "")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var log api.AuditLog
	require.NoError(t, json.Unmarshal(r.body, &log))
	got := map[string]bool{}
	for _, e := range log.Items {
		got[fmt.Sprintf("%s %s %s", e.Organisation, e.Action, e.Outcome)] = true
		require.NotEmpty(t, e.RequestId)
	}
	require.True(t, got["comune:015146 POST /api/v1/enrolments 201"], "%v", got)
	require.True(t, got["polo_start:polo-1 GET /api/v1/enrolments/:id 200"], "%v", got)
	require.True(t, got["cti:22 GET /api/v1/enrolments/:id 404"], "a refused read is logged too: %v", got)

	bad := b.do(t, "GET", "/api/v1/audit?case="+uuid.NewString()[:8], "", "")
	require.Equal(t, http.StatusBadRequest, bad.status)
}

func TestRevokedAndExpiredTokensAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	owner := store.New(b.pool)
	require.NoError(t, owner.CreateOrganisation(b.ctx, casework.UST, "UST Milano"))
	get := func(secret string) response {
		return b.as(t, "", "GET", "/api/v1/enrolments", nil, "Authorization", "Bearer "+secret)
	}

	tok, secret, err := owner.CreateToken(b.ctx, casework.UST, "supervisore", store.RoleOperator, time.Hour)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, get(secret).status)
	require.NoError(t, owner.RevokeToken(b.ctx, tok.ID))
	revoked := get(secret)
	require.Equal(t, http.StatusUnauthorized, revoked.status)
	decodeProblem(t, revoked)

	_, short, err := owner.CreateToken(b.ctx, casework.UST, "breve", store.RoleOperator, time.Second)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return get(short).status == http.StatusUnauthorized }, 5*time.Second, 100*time.Millisecond,
		"an expired token is refused")

	noScheme := b.as(t, "", "GET", "/api/v1/enrolments", nil, "Authorization", secret)
	require.Equal(t, http.StatusUnauthorized, noScheme.status)
	require.True(t, strings.HasPrefix(noScheme.contentType, "application/problem+json"))
}
