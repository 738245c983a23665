package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// statistics are every monitoring figure and placement time UST reads.
func statistics(t *testing.T, m monitoring) map[string]any {
	t.Helper()
	ust := store.WithOrg(m.ctx, "ust")
	out := map[string]any{}
	for _, by := range store.Dimensions {
		out["figures "+string(by)] = figuresByKey(t, m, "ust", by, store.Period{})
	}
	for _, by := range []store.Dimension{store.ByHub, store.ByMonth} {
		times, err := m.app.PlacementTimes(ust, by, store.Period{})
		require.NoError(t, err)
		out["times "+string(by)] = times
	}
	journeys, err := m.app.JourneysBetween(ust, store.Period{})
	require.NoError(t, err)
	out["journeys"] = journeys
	return out
}

func TestRetentionPseudonymisesClosedRowsAndKeepsTheStatistics(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	m.territory(t)
	worker := store.AsSystem(m.ctx)

	// A closed case with the whole form, an event note and a closed intervention; an open
	// one with the same personal data; a closed journey and a finished import.
	closed, open := uuid.NewString(), uuid.NewString()
	for _, c := range []struct{ id, stage string }{{closed, "completed"}, {open, "enrolled"}} {
		for _, q := range strings.Split(`
			INSERT INTO enrolment_case (id, request_id, filed_by, request_hash, workflow_id, comune, level,
			    minor_given_name, minor_family_name, minor_birth_date, stage, created_at, origin, hub,
			    minor_codice_fiscale, special_needs, special_needs_note, details, placement, enrolled_at)
			VALUES (@id::uuid, @id::uuid, '015189', 'h', 'enrolment-' || @id::uuid::text, '015189', 'primaria', 'Olena', 'Kovalenko',
			    '2016-05-17', @stage, @at, 'ukrainian_refugee', 'cti:21', 'KVLLNO16E57Z138X', true, 'dislessia',
			    '{"languages":["uk"],"guardianName":"Iryna Kovalenko","guardianPhone":"+39 333 1234567",
			      "guardianEmail":"iryna@example.org","guardianLanguage":"uk","residenceAddress":"via Roma 1","notes":"arrivata a marzo"}',
			    '{"School":"MIIC90001A"}', @enrolled);
			INSERT INTO case_event (case_id, seq, at, kind, reason, note) VALUES (@id::uuid, 1, @at, 'rejected', 'no_seats', 'chiamare Iryna');
			INSERT INTO case_event (case_id, seq, at, kind, hub) VALUES (@id::uuid, 2, @at, 'routed', 'cti:21');
			INSERT INTO intervention (id, case_id, referral, school, reason, stage, outcome, interview, plan, reviews, timeline, seq, opened_at)
			VALUES (@id::uuid::text || '-1', @id::uuid, '1', 'MIIC90001A', 'no_answer', 'resolved', 'resolved', '{"Date":"2026-11-20"}',
			    '{"Actions":["parlare con Olena"],"ReviewDates":["2026-12-01"]}', '[{"Date":"2026-12-01","Note":"Olena sta meglio"}]',
			    '[{"Seq":1,"Kind":"opened","Note":"segnalata da Iryna"}]', 1, @at)`, ";") {
			_, err := m.owner.Exec(m.ctx, q, pgx.NamedArgs{"id": c.id, "stage": c.stage, "at": nov, "enrolled": nov.Add(96 * time.Hour)})
			require.NoError(t, err)
		}
	}
	journey := uuid.NewString()
	for _, q := range strings.Split(`
		INSERT INTO reunification_journey (id, reference, source, family, family_hash, workflow_id, comune, stage, timeline, created_at)
		VALUES (@id::uuid, 'PREF-9', 'prefettura:milano',
		    '{"reference":"PREF-9","sponsor":{"givenName":"Ahmed","familyName":"Benali","phone":"+39 1","comune":"015146","address":"via Padova 3","municipio":2},
		      "members":[{"givenName":"Sara","familyName":"Benali","birthDate":"2014-03-02","relation":"child","citizenship":"MA"}],
		      "nullaOsta":{"number":"NO-1","issuedOn":"2026-01-10"},"language":"ar","notes":"zia a Sesto"}',
		    'h', 'reunification-' || @id::uuid::text, '015146', 'closed', '[{"Seq":1,"Kind":"contacted","Note":"parlato con Ahmed"}]', @at);
		INSERT INTO family_import (id, source, filename, sha256, lines, families, rejected, conflicts, done)
		VALUES (@id::uuid, 'prefettura:milano', 'benali.csv', 's', 2, 1, '[{"Line":2,"Reason":"Sara"}]', '["PREF-9"]', true);
		INSERT INTO family_import_row (import_id, idx, family) SELECT @id::uuid, 0, family FROM reunification_journey WHERE id = @id::uuid AND @at::timestamptz IS NOT NULL`, ";") {
		_, err := m.owner.Exec(m.ctx, q, pgx.NamedArgs{"id": journey, "at": nov})
		require.NoError(t, err)
	}

	before := statistics(t, m)

	// Nothing closed before the period's start: nothing changes.
	done, err := m.app.PseudonymiseClosed(worker, time.Now().Add(-time.Hour), 100)
	require.NoError(t, err)
	require.Zero(t, done.Total())

	// In batches of one: every closed row once (the four closed territory cases too).
	var total store.Pseudonymised
	for range 20 {
		done, err := m.app.PseudonymiseClosed(worker, time.Now().Add(time.Hour), 1)
		require.NoError(t, err)
		require.LessOrEqual(t, done.Cases, 1)
		if done.Total() == 0 {
			break
		}
		total = total.Add(done)
	}
	require.Equal(t, store.Pseudonymised{Cases: 3, Journeys: 1, Interventions: 2, Imports: 1}, total,
		"two closed territory cases and ours; both closed interventions, the open case's too")

	c, err := m.app.GetCase(worker, closed)
	require.NoError(t, err)
	require.Empty(t, c.MinorGivenName)
	require.Empty(t, c.MinorFamilyName)
	require.Equal(t, "2016-01-01", c.MinorBirthDate, "the year stays")
	require.Empty(t, c.MinorCodiceFiscale)
	require.Empty(t, c.SpecialNeedsNote)
	require.True(t, c.SpecialNeeds)
	require.Equal(t, store.CaseDetails{Languages: []string{"uk"}, GuardianLanguage: "uk"}, c.Details)
	require.Equal(t, "015189", c.Comune)
	require.Equal(t, "primaria", c.Level)
	require.Equal(t, "ukrainian_refugee", c.Origin)
	require.Equal(t, "cti:21", c.Hub)
	require.Equal(t, "MIIC90001A", c.Placement.School)

	o, err := m.app.GetCase(worker, open)
	require.NoError(t, err)
	require.Equal(t, "Olena", o.MinorGivenName, "an open case keeps its data")
	require.Equal(t, "KVLLNO16E57Z138X", o.MinorCodiceFiscale)

	var leftovers int
	require.NoError(t, m.owner.QueryRow(m.ctx, `
		SELECT count(*) FILTER (WHERE x::text ~ '(Olena|Iryna|Ahmed|Benali|Sara|Padova|via Roma|2016-05-17|2014-03-02|PREF-9|KVLLNO|dislessia|333)')
		FROM (SELECT to_jsonb(c) || jsonb_build_object('events', (SELECT jsonb_agg(e) FROM case_event e WHERE e.case_id = c.id)) AS x
		          FROM enrolment_case c WHERE c.id = $1
		      UNION ALL SELECT to_jsonb(i) FROM intervention i
		      UNION ALL SELECT to_jsonb(j) FROM reunification_journey j
		      UNION ALL SELECT to_jsonb(f) FROM family_import f
		      UNION ALL SELECT to_jsonb(r) FROM family_import_row r) rows`, closed).Scan(&leftovers))
	require.Zero(t, leftovers, "no name, birth day, codice fiscale, contact, address or note is left")

	var stats struct {
		at       time.Time
		kind     string
		relation string
		year     string
		comune   string
	}
	require.NoError(t, m.owner.QueryRow(m.ctx, `
		SELECT e.at, e.kind, j.family->'members'->0->>'relation', j.family->'members'->0->>'birthDate', j.family->'sponsor'->>'comune'
		FROM case_event e, reunification_journey j WHERE e.case_id = $1 AND e.seq = 2 AND j.id = $2`, closed, journey).
		Scan(&stats.at, &stats.kind, &stats.relation, &stats.year, &stats.comune))
	require.True(t, stats.at.Equal(nov), "the dates of stage changes stay")
	require.Equal(t, "routed", stats.kind)
	var rejection string
	require.NoError(t, m.owner.QueryRow(m.ctx, `SELECT reason FROM case_event WHERE case_id = $1 AND seq = 1`, closed).Scan(&rejection))
	require.Equal(t, "no_seats", rejection, "reasons are codes and stay")
	require.Equal(t, "child", stats.relation)
	require.Equal(t, "2014", stats.year)
	require.Equal(t, "015146", stats.comune)

	require.Equal(t, before, statistics(t, m), "the monitoring counts and times to placement are the same")

	again, err := m.app.PseudonymiseClosed(worker, time.Now().Add(time.Hour), 100)
	require.NoError(t, err)
	require.Zero(t, again.Total(), "a second run changes nothing")

	_, err = m.app.PseudonymiseClosed(store.WithOrg(m.ctx, "ust"), time.Now(), 1)
	require.Error(t, err, "only the worker runs retention")
}

func TestErasureOnRequestIsUSTsAndOnlyForClosedCases(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	m.territory(t)
	ids := map[string]string{}
	rows, err := m.owner.Query(m.ctx, `SELECT stage, id::text FROM enrolment_case WHERE stage IN ('withdrawn', 'awaiting_decision')`)
	require.NoError(t, err)
	for rows.Next() {
		var stage, id string
		require.NoError(t, rows.Scan(&stage, &id))
		ids[stage] = id
	}
	require.NoError(t, rows.Err())
	ust := store.WithOrg(m.ctx, "ust")

	_, err = m.app.EraseCase(ust, ids["awaiting_decision"], "ust", "richiesta della famiglia")
	require.ErrorIs(t, err, store.ErrCaseOpen)
	_, err = m.app.EraseCase(ust, uuid.NewString(), "ust", "richiesta della famiglia")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = m.app.EraseCase(store.WithOrg(m.ctx, "comune:015146"), ids["withdrawn"], "comune:015146", "richiesta della famiglia")
	require.Error(t, err)

	changed, err := m.app.EraseCase(ust, ids["withdrawn"], "ust", "richiesta della famiglia")
	require.NoError(t, err)
	require.True(t, changed)
	c, err := m.app.GetCase(ust, ids["withdrawn"])
	require.NoError(t, err)
	require.Empty(t, c.MinorGivenName)
	events, err := m.app.Timeline(ust, ids["withdrawn"])
	require.NoError(t, err)
	require.NotEmpty(t, events)
	last := events[len(events)-1]
	require.Equal(t, casework.EventPersonalDataErased, last.Kind)
	require.Equal(t, casework.UST, last.Actor)
	require.Equal(t, "richiesta della famiglia", last.Note)

	changed, err = m.app.EraseCase(ust, ids["withdrawn"], "ust", "di nuovo")
	require.NoError(t, err)
	require.False(t, changed, "erasing twice changes nothing")
	again, err := m.app.Timeline(ust, ids["withdrawn"])
	require.NoError(t, err)
	require.Len(t, again, len(events), "and records nothing")
}

func TestRetentionPurgesRawMessagesSpentSessionsAndTokens(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	now := time.Now()
	old, recent := now.Add(-3*365*24*time.Hour), now.Add(-time.Hour)
	user := uuid.NewString()
	for _, q := range []string{
		`INSERT INTO organisation (id, kind, name) VALUES ('comune:015146', 'comune', 'Milano')`,
		`INSERT INTO app_user (id, organisation, email, name, role) VALUES (@user, 'comune:015146', 'a@example.org', 'A', 'operator')`,
		`INSERT INTO pec_receipt (message_id, kind, issued_at, received_at, raw) VALUES
		    ('m1', 'accettazione', @old, @old, 'raw old'), ('m2', 'accettazione', @recent, @recent, 'raw new')`,
		`INSERT INTO pec_inbox_rejected (reason, raw, received_at) VALUES ('x', 'raw', @old), ('y', 'raw', @recent)`,
		`INSERT INTO account_message (user_id, kind, secret, created_at) VALUES (@user, 'invitation', NULL, @old), (@user, 'reset', NULL, @recent)`,
		`INSERT INTO user_session (id, user_id, secret_hash, csrf_token, expires_at, revoked_at) VALUES
		    (gen_random_uuid(), @user, 's1', 'c', @recent, NULL),
		    (gen_random_uuid(), @user, 's2', 'c', @now::timestamptz + interval '1 hour', @recent),
		    (gen_random_uuid(), @user, 's3', 'c', @now::timestamptz + interval '1 hour', NULL)`,
		`INSERT INTO password_token (id, user_id, purpose, secret_hash, expires_at, used_at) VALUES
		    (gen_random_uuid(), @user, 'invitation', 't1', @now::timestamptz + interval '1 hour', @recent),
		    (gen_random_uuid(), @user, 'reset', 't2', @recent, NULL),
		    (gen_random_uuid(), @user, 'reset', 't3', @now::timestamptz + interval '1 hour', NULL)`,
	} {
		_, err := m.owner.Exec(m.ctx, q, pgx.NamedArgs{"user": user, "old": old, "recent": recent, "now": now})
		require.NoError(t, err, q)
	}
	before := now.Add(-17520 * time.Hour)
	got, err := m.app.PurgeRetention(store.AsSystem(m.ctx), before, now)
	require.NoError(t, err)
	require.Equal(t, store.Purged{PECMessages: 2, AccountMessages: 1, Sessions: 2, Tokens: 2}, got,
		"an old raw receipt and rejected message, the old account message, the expired and the revoked session, the used and the expired link")
	var raws []string
	rows, err := m.owner.Query(m.ctx, `SELECT message_id || ':' || length(raw) FROM pec_receipt ORDER BY message_id`)
	require.NoError(t, err)
	raws, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"m1:0", "m2:7"}, raws, "the receipt stays, proving delivery; its raw message goes")

	again, err := m.app.PurgeRetention(store.AsSystem(m.ctx), before, now)
	require.NoError(t, err)
	require.Equal(t, store.Purged{}, again)
	_, err = m.app.PurgeRetention(store.WithOrg(m.ctx, "ust"), before, now)
	require.Error(t, err, "only the worker purges")
}
