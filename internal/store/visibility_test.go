package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

// rls is a database with cases written as the worker, and a store that acts as the
// application role, as the API does: row-level security applies to it.
type rls struct {
	bundle
	app    *store.Store
	appDB  *pgx.Conn
	milano string // a Milano case routed to Polo START 1, proposed to school
	sesto  string // a Sesto case routed to CTI 22
}

func setupRLS(t *testing.T) rls {
	t.Helper()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	owner, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	appPool, err := store.OpenApp(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(appPool.Close)
	r := rls{bundle: bundle{ctx: ctx, pool: owner, store: store.New(owner)}, app: store.New(appPool)}

	worker := store.AsSystem(ctx)
	milano, err := r.app.RecordCase(worker, sampleCase())
	require.NoError(t, err, "the worker writes through the application role")
	p := awaitingDecision(milano.ID)
	_, err = r.app.SaveProgress(worker, p)
	require.NoError(t, err)

	c := sampleCase()
	c.FiledBy, c.Comune, c.Municipio = "015209", "015209", 0
	sesto, err := r.app.RecordCase(worker, c)
	require.NoError(t, err)
	q := awaitingDecision(sesto.ID)
	q.Stage, q.Hub, q.Comune, q.Municipio, q.School, q.Task = casework.StageAwaitingProposal, cti22.String(), "015209", 0, "", nil
	q.Events = events(2)
	_, err = r.app.SaveProgress(worker, q)
	require.NoError(t, err)
	r.milano, r.sesto = milano.ID, sesto.ID

	conn, err := pgx.Connect(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(ctx) })
	_, err = conn.Exec(ctx, "SET ROLE "+store.AppRole)
	require.NoError(t, err)
	r.appDB = conn
	return r
}

// visible lists the IDs org sees through the store.
func (r rls) visible(t *testing.T, org string) []string {
	t.Helper()
	page, _, err := r.app.ListCases(store.WithOrg(r.ctx, org), store.CaseFilter{Now: t0})
	require.NoError(t, err)
	var ids []string
	for _, c := range page {
		ids = append(ids, c.ID)
	}
	return ids
}

// countWithoutWhere is the experiment of the issue: a query with no WHERE clause at all,
// as a handler with a bug would send, as the application role with org named.
func (r rls) countWithoutWhere(t *testing.T, org, table string) int {
	t.Helper()
	var n int
	err := pgx.BeginFunc(r.ctx, r.appDB, func(tx pgx.Tx) error {
		if _, err := tx.Exec(r.ctx, "SELECT set_config('approdo.org', $1, true)", org); err != nil {
			return err
		}
		return tx.QueryRow(r.ctx, "SELECT count(*) FROM "+table).Scan(&n)
	})
	require.NoError(t, err)
	return n
}

func TestEachOrganisationSeesOnlyItsCases(t *testing.T) {
	t.Parallel()
	r := setupRLS(t)
	require.ElementsMatch(t, []string{r.milano, r.sesto}, r.visible(t, "ust"))
	require.Equal(t, []string{r.milano}, r.visible(t, "comune:015146"))
	require.Equal(t, []string{r.sesto}, r.visible(t, "comune:015209"))
	require.Equal(t, []string{r.milano}, r.visible(t, polo1.String()))
	require.Equal(t, []string{r.sesto}, r.visible(t, cti22.String()))
	require.Equal(t, []string{r.milano}, r.visible(t, school.String()), "proposed to it")
	require.Empty(t, r.visible(t, "school:MIIC90002A"))
	require.Empty(t, r.visible(t, "cti:21"))
	require.Empty(t, r.visible(t, ""), "nobody named, nothing seen")
	require.Empty(t, r.visible(t, "system:x"))

	for _, org := range []string{"comune:015146", polo1.String(), school.String()} {
		require.Equal(t, 1, r.countWithoutWhere(t, org, "enrolment_case"), org)
	}
	require.Equal(t, 0, r.countWithoutWhere(t, "comune:015999", "enrolment_case"))
	require.Equal(t, 3, r.countWithoutWhere(t, "comune:015146", "case_event"), "only its case's events")
	require.Equal(t, 5, r.countWithoutWhere(t, "ust", "case_event"))
}

func TestForeignCaseIsNotFound(t *testing.T) {
	t.Parallel()
	r := setupRLS(t)
	_, err := r.app.GetCase(store.WithOrg(r.ctx, "comune:015209"), r.milano)
	require.True(t, errors.Is(err, store.ErrNotFound), "a foreign case is reported as missing, not as forbidden")
	_, err = r.app.Timeline(store.WithOrg(r.ctx, cti22.String()), r.milano)
	require.True(t, errors.Is(err, store.ErrNotFound))
	c, err := r.app.GetCase(store.WithOrg(r.ctx, "comune:015146"), r.milano)
	require.NoError(t, err)
	require.Equal(t, r.milano, c.ID)
}

func TestATransferredCaseIsSeenByTheNewComune(t *testing.T) {
	t.Parallel()
	r := setupRLS(t)
	moved := awaitingDecision(r.milano)
	moved.Seq, moved.Comune, moved.Municipio, moved.Hub, moved.School = 9, "015209", 0, cti22.String(), ""
	moved.Events = events(4)
	_, err := r.app.SaveProgress(store.AsSystem(r.ctx), moved)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{r.milano, r.sesto}, r.visible(t, "comune:015209"))
	require.Equal(t, []string{r.milano}, r.visible(t, "comune:015146"), "the comune that filed it still sees it")
	require.Empty(t, r.visible(t, polo1.String()), "the old hub no longer does")
	require.Equal(t, []string{r.milano}, r.visible(t, school.String()), "the school it was proposed to keeps its view")
}

func TestOnlyTheWorkerWritesCases(t *testing.T) {
	t.Parallel()
	r := setupRLS(t)
	p := awaitingDecision(r.milano)
	p.Seq = 10
	_, err := r.app.SaveProgress(store.WithOrg(r.ctx, "ust"), p)
	require.Error(t, err, "not even UST writes a case directly")
	_, err = r.app.RecordCase(store.WithOrg(r.ctx, "comune:015146"), sampleCase())
	require.Error(t, err)
	_, err = r.app.QueueNotification(store.WithOrg(r.ctx, polo1.String()), store.Notification{Key: "k", CaseID: r.milano, Kind: "x", Recipient: school})
	require.Error(t, err)
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	r := setupRLS(t)
	comune := store.WithOrg(r.ctx, "comune:015146")
	require.NoError(t, r.app.RecordAudit(comune, store.AuditEntry{Actor: "token:1", Action: "case.read", CaseID: r.milano, RequestID: "req-1", Outcome: "200"}))

	entries, err := r.app.AuditLog(store.WithOrg(r.ctx, "ust"), store.AuditFilter{CaseID: r.milano})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "comune:015146", entries[0].Organisation)
	require.Equal(t, "case.read", entries[0].Action)
	entries, err = r.app.AuditLog(comune, store.AuditFilter{})
	require.NoError(t, err)
	require.Empty(t, entries, "only UST reads the log")

	for _, sql := range []string{"UPDATE audit_log SET outcome = '500'", "DELETE FROM audit_log"} {
		_, err := r.appDB.Exec(r.ctx, sql)
		require.ErrorContains(t, err, "permission denied", sql)
	}
	var n int
	require.NoError(t, r.pool.QueryRow(r.ctx, "SELECT count(*) FROM audit_log WHERE outcome = '200'").Scan(&n))
	require.Equal(t, 1, n)
}

func TestResetRoleDoesNotEscapeRowLevelSecurity(t *testing.T) {
	t.Parallel()
	r := setupRLS(t)
	// A bug or an injection that drops the application role still runs as the login
	// role, which is neither superuser nor owner.
	_, err := r.appDB.Exec(r.ctx, "RESET ROLE")
	require.NoError(t, err)
	require.Equal(t, 0, r.countWithoutWhere(t, "", "enrolment_case"))
	require.Equal(t, 1, r.countWithoutWhere(t, "comune:015209", "enrolment_case"))
	_, err = r.appDB.Exec(r.ctx, "DELETE FROM audit_log")
	require.ErrorContains(t, err, "permission denied")
}

// A school that refused a case keeps it for a short time after its refusal (to answer for
// it), then no longer sees it; a later proposal to it shows it again.
func TestARefusingSchoolSeesTheCaseOnlyForAWhile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		refused time.Duration // how long ago
		sees    bool
	}{
		{"just refused", 24 * time.Hour, true},
		{"refused long ago", 20 * 24 * time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := setupRLS(t)
			back := awaitingDecision(r.milano)
			back.Seq, back.Stage, back.School, back.Task = 10, casework.StageAwaitingProposal, "", nil
			back.Events = []casework.Event{{Seq: 4, At: time.Now().Add(-tc.refused), Kind: casework.EventRejected, School: school.Code, Reason: "no_places"}}
			_, err := r.app.SaveProgress(store.AsSystem(r.ctx), back)
			require.NoError(t, err)
			_, err = r.app.GetCase(store.WithOrg(r.ctx, school.String()), r.milano)
			if tc.sees {
				require.NoError(t, err)
				require.Equal(t, []string{r.milano}, r.visible(t, school.String()))
			} else {
				require.ErrorIs(t, err, store.ErrNotFound)
				require.Empty(t, r.visible(t, school.String()))
				_, err = r.app.Timeline(store.WithOrg(r.ctx, school.String()), r.milano)
				require.ErrorIs(t, err, store.ErrNotFound, "nor its timeline")
			}
			require.Equal(t, []string{r.milano}, r.visible(t, polo1.String()), "the hub still does")

			again := awaitingDecision(r.milano)
			again.Seq = 11
			again.Events = []casework.Event{{Seq: 5, At: time.Now(), Kind: casework.EventProposed, School: school.Code}}
			_, err = r.app.SaveProgress(store.AsSystem(r.ctx), again)
			require.NoError(t, err)
			require.Equal(t, []string{r.milano}, r.visible(t, school.String()), "proposed again")
		})
	}
}

func TestAuditEntryKeepsClientAddressAndSubject(t *testing.T) {
	t.Parallel()
	r := setupRLS(t)
	orientation := store.WithOrg(r.ctx, "orientation")
	require.NoError(t, r.app.RecordAudit(orientation, store.AuditEntry{Actor: "user:u1", Action: "GET /api/v1/interventions/:id",
		RequestID: "req-2", Outcome: "200", ClientAddress: "192.0.2.7", Subject: "intervention:3f0c"}))
	entries, err := r.app.AuditLog(store.WithOrg(r.ctx, "ust"), store.AuditFilter{Organisation: "orientation"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "192.0.2.7", entries[0].ClientAddress)
	require.Equal(t, "intervention:3f0c", entries[0].Subject)
}
