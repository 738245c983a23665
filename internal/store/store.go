package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/approdo/approdo/internal/casework"
)

// ErrNotFound is returned when the record asked for does not exist.
var ErrNotFound = errors.New("not found")

var (
	//go:embed queries/insert_case.sql
	insertCaseSQL string
	//go:embed queries/select_case.sql
	selectCaseSQL string
)

// Store reads and writes Approdo's records through a connection pool.
type Store struct {
	pool *pgxpool.Pool
	// refdata is the reference data last read (refdata_cache.go).
	refdata refdataCache
}

// New returns a Store on pool. The caller keeps ownership of the pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// Open connects a pool to databaseURL and checks that the database answers.
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("configure database pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// Case is an enrolment case as stored.
type Case struct {
	ID          string
	RequestID   string
	FiledBy     string
	RequestHash string
	WorkflowID  string
	Comune      string
	Level       string
	// Minor's fields are personal data.
	MinorGivenName  string
	MinorFamilyName string
	MinorBirthDate  string // YYYY-MM-DD
	Stage           string
	CreatedAt       time.Time
	UpdatedAt       time.Time

	// The full form; empty for cases opened with the first slice's form.
	MinorSex           string
	MinorCitizenship   string
	MinorCodiceFiscale string
	Municipio          int
	Origin             string
	SpecialNeeds       bool
	// SpecialNeedsNote is for the hub and the school only.
	SpecialNeedsNote string
	// SuggestedLevel is empty when no class was suggested (a child under three).
	SuggestedLevel string
	SuggestedYear  int
	Details        CaseDetails
	// MatchKey is the minor's matching key (internal/namematch); written, never read
	// back. A case recorded with one is refused while another open case of the same minor
	// exists (see RecordCase).
	MatchKey string

	// How far the case has got, as the workflow last reported it (SaveProgress). Seq is 0
	// and the rest empty until the first report.
	Seq              int64
	Year             int // the class year chosen by the hub; 0 until it proposes
	Hub              string
	School           string
	ProposalCount    int
	Escalated        bool
	EscalationReason string
	DropoutRisk      bool
	Task             *casework.Task
	Placement        *casework.Placement
}

// CaseDetails is the part of the form that is read with the case but never filtered on.
type CaseDetails struct {
	Languages           []string `json:"languages,omitempty"`
	PriorSchoolingYears int      `json:"priorSchoolingYears,omitempty"`
	LastClassAbroad     string   `json:"lastClassAbroad,omitempty"`
	GuardianName        string   `json:"guardianName,omitempty"`
	GuardianPhone       string   `json:"guardianPhone,omitempty"`
	GuardianEmail       string   `json:"guardianEmail,omitempty"`
	GuardianLanguage    string   `json:"guardianLanguage,omitempty"`
	ResidenceAddress    string   `json:"residenceAddress,omitempty"`
	Notes               string   `json:"notes,omitempty"`
}

// RecordCase stores c unless a case with its ID already exists, and returns the stored
// case either way. Recording the same case twice is therefore harmless, which is what a
// retried activity needs. A new case that carries its MatchKey is refused with a
// *DuplicateMinorError while another open case of the same minor exists (minor.go).
func (s *Store) RecordCase(ctx context.Context, c Case) (Case, error) {
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		if c.MatchKey != "" {
			if err := refuseSecondCase(ctx, tx, c); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, insertCaseSQL, pgx.NamedArgs{
			"id":                c.ID,
			"request_id":        c.RequestID,
			"filed_by":          c.FiledBy,
			"request_hash":      c.RequestHash,
			"workflow_id":       c.WorkflowID,
			"comune":            c.Comune,
			"level":             c.Level,
			"minor_given_name":  c.MinorGivenName,
			"minor_family_name": c.MinorFamilyName,
			"minor_birth_date":  c.MinorBirthDate,
			"stage":             c.Stage,

			"minor_sex":            c.MinorSex,
			"minor_citizenship":    c.MinorCitizenship,
			"minor_codice_fiscale": c.MinorCodiceFiscale,
			"municipio":            c.Municipio,
			"origin":               c.Origin,
			"special_needs":        c.SpecialNeeds,
			"special_needs_note":   c.SpecialNeedsNote,
			"suggested_level":      c.SuggestedLevel,
			"suggested_year":       suggestedYear(c),
			"details":              c.Details,
			"minor_match_key":      c.MatchKey,
		})
		return err
	})
	var duplicate *DuplicateMinorError
	if errors.As(err, &duplicate) {
		return Case{}, err
	}
	if err != nil {
		return Case{}, fmt.Errorf("record case %s: %w", c.ID, err)
	}
	return s.GetCase(ctx, c.ID)
}

// suggestedYear is NULL when no class was suggested, so that "year 0" (infanzia) and "no
// suggestion" stay apart.
func suggestedYear(c Case) *int {
	if c.SuggestedLevel == "" {
		return nil
	}
	return &c.SuggestedYear
}

// GetCase returns the case with the given ID, or ErrNotFound.
func (s *Store) GetCase(ctx context.Context, id string) (Case, error) {
	var c Case
	var suggestedYear *int16
	var task taskColumns
	// One round trip (batchInOrg): every action of the API reads its case first.
	b := &pgx.Batch{}
	b.Queue(selectCaseSQL, pgx.NamedArgs{"id": id})
	err := s.batchInOrg(ctx, b, func(br pgx.BatchResults) error {
		return br.QueryRow().Scan(
			&c.ID, &c.RequestID, &c.FiledBy, &c.RequestHash, &c.WorkflowID, &c.Comune, &c.Level,
			&c.MinorGivenName, &c.MinorFamilyName, &c.MinorBirthDate,
			&c.Stage, &c.CreatedAt, &c.UpdatedAt,
			&c.MinorSex, &c.MinorCitizenship, &c.MinorCodiceFiscale,
			&c.Municipio, &c.Origin, &c.SpecialNeeds, &c.SpecialNeedsNote,
			&c.SuggestedLevel, &suggestedYear, &c.Details,
			&c.Seq, &c.Year, &c.Hub, &c.School, &c.ProposalCount,
			&c.Escalated, &c.EscalationReason, &c.DropoutRisk,
			&task.kind, &task.owner, &task.since, &task.due, &task.reminder, &task.reminded, &task.escalated,
			&c.Placement,
		)
	})
	if suggestedYear != nil {
		c.SuggestedYear = int(*suggestedYear)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, fmt.Errorf("get case %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Case{}, fmt.Errorf("get case %s: %w", id, err)
	}
	if c.Task, err = task.task(); err != nil {
		return Case{}, fmt.Errorf("get case %s: task owner: %w", id, err)
	}
	return c, nil
}
