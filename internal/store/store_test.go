package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, store.Migrate)
}

type bundle struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	store *store.Store
}

func setup(t *testing.T) bundle {
	t.Helper()
	pool := pgtest.NewPool(t)
	return bundle{ctx: context.Background(), pool: pool, store: store.New(pool)}
}

func sampleCase() store.Case {
	id := uuid.NewString()
	return store.Case{
		ID:               id,
		RequestID:        uuid.NewString(),
		FiledBy:          "015146",
		RequestHash:      "abc123",
		WorkflowID:       "enrolment-" + id,
		Comune:           "015146",
		Level:            "primaria",
		MinorGivenName:   "Olena",
		MinorFamilyName:  "Kovalenko",
		MinorBirthDate:   "2017-04-12",
		Stage:            "registered",
		MinorSex:         "F",
		MinorCitizenship: "UA",
		Municipio:        2,
		Origin:           "ukrainian_refugee",
		SpecialNeeds:     true,
		SpecialNeedsNote: "segue logopedia",
		SuggestedLevel:   "primaria",
		SuggestedYear:    4,
		Details:          store.CaseDetails{Languages: []string{"uk"}, GuardianName: "Iryna Kovalenko", ResidenceAddress: "Via Padova 100"},
	}
}

func TestRecordCaseIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := sampleCase()

	first, err := b.store.RecordCase(b.ctx, c)
	require.NoError(t, err)
	require.Equal(t, c.ID, first.ID)
	require.Equal(t, "2017-04-12", first.MinorBirthDate)
	require.False(t, first.CreatedAt.IsZero())

	// A retried activity sends the same case again, possibly changed by a bug: the first
	// write stands and no second row appears.
	again := c
	again.Stage = "something-else"
	second, err := b.store.RecordCase(b.ctx, again)
	require.NoError(t, err)
	require.Equal(t, first, second)

	var rows int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM enrolment_case").Scan(&rows))
	require.Equal(t, 1, rows)
}

func TestCaseWithTheFirstSliceFormReadsBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := sampleCase()
	c.MinorSex, c.MinorCitizenship, c.Municipio, c.Origin = "", "", 0, ""
	c.SpecialNeeds, c.SpecialNeedsNote, c.SuggestedLevel, c.SuggestedYear = false, "", "", 0
	c.Details = store.CaseDetails{}
	stored, err := b.store.RecordCase(b.ctx, c)
	require.NoError(t, err)
	require.Empty(t, stored.Origin)
	require.Empty(t, stored.SuggestedLevel)
	require.Zero(t, stored.Municipio)
}

func TestInfanziaSuggestionIsNotNoSuggestion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := sampleCase()
	c.SuggestedLevel, c.SuggestedYear = "infanzia", 0
	stored, err := b.store.RecordCase(b.ctx, c)
	require.NoError(t, err)
	require.Equal(t, "infanzia", stored.SuggestedLevel)
	require.Zero(t, stored.SuggestedYear)
}

func TestGetCaseNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.store.GetCase(b.ctx, uuid.NewString())
	require.True(t, errors.Is(err, store.ErrNotFound), "got %v", err)
}

func TestSchemaRejectsValuesOutsideTheDomain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bad := sampleCase()
	bad.Comune = "016024" // Bergamo: not in the Città Metropolitana
	_, err := b.store.RecordCase(b.ctx, bad)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "Olena", "errors carry no personal data")

	bad = sampleCase()
	bad.Level = "liceo"
	_, err = b.store.RecordCase(b.ctx, bad)
	require.Error(t, err)
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	applied, err := store.MigrateReport(context.Background(), url)
	require.NoError(t, err)
	require.Empty(t, applied, "the template is already migrated")
}

// BenchmarkRecordCase measures the activity's write on a real PostgreSQL: a new case, and
// a retried one that finds its row.
func BenchmarkRecordCase(b *testing.B) {
	ctx := context.Background()
	s := store.New(pgtest.NewPool(b))
	b.Run("new", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.RecordCase(ctx, sampleCase()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("retried", func(b *testing.B) {
		c := sampleCase()
		for b.Loop() {
			if _, err := s.RecordCase(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func sampleReferenceData(t *testing.T) *refdata.Dataset {
	t.Helper()
	d, err := refdata.ParseFile(filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)
	return d
}

func TestReferenceDataRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.store.ReferenceData(b.ctx)
	require.True(t, errors.Is(err, store.ErrNotFound), "got %v", err)

	d := sampleReferenceData(t)
	res, err := b.store.ReplaceReferenceData(b.ctx, d, "sha-1")
	require.NoError(t, err)
	require.False(t, res.Unchanged)
	require.Equal(t, len(d.Comuni), res.Counts["comuni"])

	got, err := b.store.ReferenceData(b.ctx)
	require.NoError(t, err)
	require.True(t, got.Sample)
	require.ElementsMatch(t, d.Ambiti, got.Ambiti)
	require.ElementsMatch(t, d.PoliStart, got.PoliStart)
	require.ElementsMatch(t, d.Comuni, got.Comuni)
	require.ElementsMatch(t, d.Schools, got.Schools)
	require.NotEmpty(t, d.SchoolClosures)
	require.ElementsMatch(t, d.SchoolClosures, got.SchoolClosures)
	hub, err := got.Route("015146", 9, "primaria")
	require.NoError(t, err)
	require.Equal(t, "polo-4", hub.Code, "routing works on the data read back")

	again, err := b.store.ReplaceReferenceData(b.ctx, d, "sha-1")
	require.NoError(t, err)
	require.True(t, again.Unchanged, "the same file again writes nothing")

	smaller := *d
	smaller.Schools = smaller.Schools[:1]
	smaller.Version = "v2"
	_, err = b.store.ReplaceReferenceData(b.ctx, &smaller, "sha-2")
	require.NoError(t, err)
	got, err = b.store.ReferenceData(b.ctx)
	require.NoError(t, err)
	require.Equal(t, "v2", got.Version)
	require.Len(t, got.Schools, 1, "a new import replaces, it does not add")
}

func TestFailedImportKeepsTheOldData(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := sampleReferenceData(t)
	_, err := b.store.ReplaceReferenceData(b.ctx, d, "sha-1")
	require.NoError(t, err)

	// A school in a comune that is not there breaks a foreign key half-way through.
	broken := *d
	broken.Schools = append([]refdata.School{}, d.Schools...)
	broken.Schools[0].Comune = "015999"
	_, err = b.store.ReplaceReferenceData(b.ctx, &broken, "sha-broken")
	require.Error(t, err)

	got, err := b.store.ReferenceData(b.ctx)
	require.NoError(t, err)
	require.Len(t, got.Schools, len(d.Schools))
	require.Equal(t, d.Version, got.Version)
}
