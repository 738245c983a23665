package store

import (
	"context"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/approdo/approdo/internal/casework"
)

var (
	//go:embed queries/update_progress.sql
	updateProgressSQL string
	//go:embed queries/insert_events.sql
	insertEventsSQL string
	//go:embed queries/case_exists.sql
	caseExistsSQL string
	//go:embed queries/insert_notification.sql
	insertNotificationSQL string
	//go:embed queries/insert_dropout_referral.sql
	insertDropoutReferralSQL string
	//go:embed queries/select_cases.sql
	selectCasesSQL string
	//go:embed queries/select_tasks.sql
	selectTasksSQL string
	//go:embed queries/select_events.sql
	selectEventsSQL string
)

// Progress is how far a case has got, as the workflow reports it after every change. Seq
// is the number of the newest event in Events; a write whose Seq is not newer than the
// stored one changes nothing, so a retried or late write never undoes a newer one.
type Progress struct {
	CaseID string
	Seq    int64
	Stage  casework.Stage
	// Comune and Municipio change when the family moves (a transfer).
	Comune    string
	Municipio int
	// Level and Year are the class sought; the hub may change them when it proposes.
	Level string
	Year  int
	// Hub is the competent hub in stored form ("cti:21"), empty while unrouted.
	Hub string
	// School is the school proposed or, once enrolled, the school of the placement.
	School           string
	ProposalCount    int
	Escalated        bool
	EscalationReason string
	DropoutRisk      bool
	// Task is what the case waits for; nil when it waits for nobody.
	Task      *casework.Task
	Placement *casework.Placement
	// Events is the whole timeline so far; those already stored are skipped.
	Events []casework.Event
}

// SaveProgress writes p to the read model in one transaction. It reports whether p was
// applied: false means the stored state is already as new or newer, which is not an
// error.
func (s *Store) SaveProgress(ctx context.Context, p Progress) (bool, error) {
	args := pgx.NamedArgs{
		"id": p.CaseID, "seq": p.Seq, "stage": string(p.Stage), "comune": p.Comune, "municipio": p.Municipio,
		"level": p.Level, "class_year": p.Year, "hub": p.Hub, "school": p.School, "proposal_count": p.ProposalCount,
		"escalated": p.Escalated, "escalation_reason": p.EscalationReason, "dropout_risk": p.DropoutRisk,
		"task_kind": "", "task_owner": "", "task_since": nil, "task_due_at": nil, "task_reminder_at": nil,
		"task_reminded": false, "task_escalated": false, "placement": p.Placement, "enrolled_at": enrolledAt(p.Events),
	}
	if t := p.Task; t != nil {
		args["task_kind"], args["task_owner"] = string(t.Kind), t.Owner.String()
		args["task_since"], args["task_due_at"], args["task_reminder_at"] = t.Since, nullTime(t.DueAt), nullTime(t.ReminderAt)
		args["task_reminded"], args["task_escalated"] = t.Reminded, t.Escalated
	}
	// One round trip (batchInOrg): the update, whether the case exists (read only when
	// the update changed nothing), and the events. Events go in even when the report is
	// older than the stored state: a late report may still carry events that no other
	// report stored. For a case that does not exist the events' insert fails on its
	// foreign key, which rolls the whole batch back; the caller gets ErrNotFound.
	var applied bool
	b := &pgx.Batch{}
	b.Queue(updateProgressSQL, args)
	b.Queue(caseExistsSQL, pgx.NamedArgs{"id": p.CaseID})
	b.Queue(insertEventsSQL, eventArgs(p.CaseID, p.Events))
	err := s.batchInOrg(ctx, b, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		if err != nil {
			return err
		}
		applied = tag.RowsAffected() == 1
		var exists bool
		if err := br.QueryRow().Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		_, err = br.Exec()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("save progress of case %s: %w", p.CaseID, err)
	}
	return applied, nil
}

// enrolledAt is when the minor got a seat: the first acceptance or direct enrolment among
// events; nil when none is there.
func enrolledAt(events []casework.Event) *time.Time {
	for _, e := range events {
		if e.Kind == casework.EventAccepted || e.Kind == casework.EventEnrolledDirectly {
			return &e.At
		}
	}
	return nil
}

func eventArgs(caseID string, events []casework.Event) pgx.NamedArgs {
	n := len(events)
	seqs, ats := make([]int64, n), make([]time.Time, n)
	kinds, actors, hubs, schools, reasons, notes := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range events {
		seqs[i], ats[i], kinds[i], actors[i] = e.Seq, e.At, string(e.Kind), e.Actor.String()
		hubs[i], schools[i], reasons[i], notes[i] = e.Hub, e.School, e.Reason, e.Note
	}
	return pgx.NamedArgs{
		"case_id": caseID, "seqs": seqs, "ats": ats, "kinds": kinds, "actors": actors,
		"hubs": hubs, "schools": schools, "reasons": reasons, "notes": notes,
	}
}

// nullTime is NULL for the zero time, which means "none" in a task.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Notification is a message the case asks to be sent. Key makes it unique: recording the
// same key twice keeps one row, so a retried activity never queues a second message.
type Notification struct {
	Key       string
	CaseID    string
	Kind      string
	Recipient casework.Org
	// Dispatched marks an email notice, which the worker's dispatcher sends from the
	// outbox (internal/dispatch); a PEC is sent by a workflow of its own.
	Dispatched bool
	// Channel is how the notice goes, ChannelEmail or ChannelPEC, decided when it is
	// queued (NoticeChannel); "" for a row queued before the column: a comune's by PEC,
	// anybody else's by email.
	Channel string
}

// The channels of a notice.
const (
	ChannelEmail = "email"
	ChannelPEC   = "pec"
)

// NoticeChannel decides how a notice to org goes: a comune's by PEC, which has legal
// weight; a school's or a hub's (at its host school) by email when the registry gives
// one, else by PEC when it gives one; anybody else's by email. An organisation with
// neither gets ChannelEmail: its notice finds no address when sent, and is recorded
// undeliverable, its case told.
func (s *Store) NoticeChannel(ctx context.Context, org casework.Org) (string, error) {
	var school string
	switch org.Kind {
	case casework.OrgComune:
		return ChannelPEC, nil
	case casework.OrgSchool:
		school = `SELECT $1::text`
	case casework.OrgCTI:
		school = `SELECT cti_host_school FROM ambito WHERE code = $1`
	case casework.OrgPoloStart:
		school = `SELECT host_school FROM polo_start WHERE code = $1`
	default:
		return ChannelEmail, nil
	}
	// The registry is not behind row-level security: one query, with no transaction nor
	// caller to name.
	var email, pec string
	err := s.pool.QueryRow(ctx, `SELECT email, pec FROM school WHERE code = (`+school+`)`, org.Code).Scan(&email, &pec)
	if errors.Is(err, pgx.ErrNoRows) {
		return ChannelEmail, nil // not in the registry: no address either way
	}
	if err != nil {
		return "", fmt.Errorf("decide the channel of a notice to %s: %w", org, err)
	}
	if email == "" && pec != "" {
		return ChannelPEC, nil
	}
	return ChannelEmail, nil
}

// QueueNotification records n in the outbox unless its key is already there. It reports
// whether it wrote a row.
func (s *Store) QueueNotification(ctx context.Context, n Notification) (bool, error) {
	var tag pgconn.CommandTag
	b := &pgx.Batch{}
	b.Queue(insertNotificationSQL, pgx.NamedArgs{
		"key": n.Key, "case_id": n.CaseID, "kind": n.Kind, "recipient": n.Recipient.String(), "dispatched": n.Dispatched,
		"channel": nullIfEmpty(n.Channel),
	})
	err := s.batchInOrg(ctx, b, func(br pgx.BatchResults) (err error) {
		tag, err = br.Exec()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("queue notification of case %s: %w", n.CaseID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// DropoutReferral is a pupil at risk of dropping out, referred to the orientation service
// after a follow-up check.
type DropoutReferral struct {
	CaseID string
	// Check is the index of the follow-up check that opened it, from 0; it makes the
	// referral unique per check.
	Check    int
	School   string
	Reason   string // "not_attending" or "no_answer"
	OpenedAt time.Time
}

// OpenDropoutReferral records r unless the referral of its case and check exists. It
// reports whether it wrote a row.
func (s *Store) OpenDropoutReferral(ctx context.Context, r DropoutReferral) (bool, error) {
	var tag pgconn.CommandTag
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		var err error
		tag, err = tx.Exec(ctx, insertDropoutReferralSQL, pgx.NamedArgs{
			"case_id": r.CaseID, "check_index": r.Check, "school": r.School, "reason": r.Reason, "opened_at": r.OpenedAt,
		})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("open dropout referral of case %s: %w", r.CaseID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// CaseFilter selects cases for a list. Empty fields do not filter.
type CaseFilter struct {
	Stage  casework.Stage
	Hub    string
	Comune string
	School string
	// Overdue keeps the cases whose task is past its deadline at Now.
	Overdue   bool
	Escalated *bool
	Now       time.Time
	// After is the cursor returned with the previous page; empty for the first page.
	After string
	// Limit is the page size: 0 means 50, and more than 200 is cut to 200.
	Limit int
}

// CaseSummary is a case as a list shows it: codes and dates, no personal data.
type CaseSummary struct {
	ID               string
	Stage            casework.Stage
	Comune           string
	Level            string
	Hub              string
	School           string
	Origin           string
	ProposalCount    int
	Escalated        bool
	EscalationReason string
	DropoutRisk      bool
	Task             *casework.Task
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// ErrBadCursor is returned for a cursor that ListCases did not make.
var ErrBadCursor = errors.New("invalid cursor")

// ListCases returns a page of the cases f selects, newest first, and the cursor of the
// next page ("" on the last page).
func (s *Store) ListCases(ctx context.Context, f CaseFilter) ([]CaseSummary, string, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 200:
		limit = 200
	}
	var afterCreated any
	afterID := ""
	if f.After != "" {
		created, id, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		afterCreated, afterID = created, id
	}
	query, args, generic := listCasesQuery(orgOf(ctx), f, limit+1, afterCreated, afterID)
	var out []CaseSummary
	err := s.queryInOrg(ctx, listPlanning(generic), query, args, func(rows pgx.Rows) (err error) {
		out, err = pgx.CollectRows(rows, scanSummary)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return out, next, nil
}

// scanSummary reads a list's row. The stage is read as a string and converted: pgx reads
// into a named string type (casework.Stage) by reflection, at every row.
func scanSummary(row pgx.CollectableRow) (CaseSummary, error) {
	var c CaseSummary
	var t taskColumns
	var stage string
	err := row.Scan(&c.ID, &stage, &c.Comune, &c.Level, &c.Hub, &c.School, &c.Origin,
		&c.ProposalCount, &c.Escalated, &c.EscalationReason, &c.DropoutRisk,
		&t.kind, &t.owner, &t.since, &t.due, &t.reminder, &t.reminded, &t.escalated,
		&c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	c.Stage = casework.Stage(stage)
	c.Task, err = t.task()
	return c, err
}

// A cursor is the position of the last case of a page: its creation time and ID, which
// order the list. It is opaque to callers.
func encodeCursor(created time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(created.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(cursor string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return time.Time{}, "", ErrBadCursor
	}
	at, id, ok := strings.Cut(string(raw), "|")
	created, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || uuid.Validate(id) != nil {
		return time.Time{}, "", ErrBadCursor
	}
	return created, id, nil
}

// taskColumns are the task_* columns of a case as scanned. The times are pgtype values
// rather than *time.Time, which pgx reads through a pointer to a pointer, allocating one
// for each column of each row of a list.
type taskColumns struct {
	kind, owner          string
	since, due, reminder pgtype.Timestamptz
	reminded, escalated  bool
}

func (c taskColumns) task() (*casework.Task, error) {
	if c.kind == "" {
		return nil, nil
	}
	owner, err := casework.ParseOrg(c.owner)
	if err != nil {
		return nil, err
	}
	t := &casework.Task{Kind: casework.TaskKind(c.kind), Owner: owner, Reminded: c.reminded, Escalated: c.escalated}
	if c.since.Valid {
		t.Since = c.since.Time
	}
	if c.due.Valid {
		t.DueAt = c.due.Time
	}
	if c.reminder.Valid {
		t.ReminderAt = c.reminder.Time
	}
	return t, nil
}

// TaskItem is an entry of an organisation's inbox.
type TaskItem struct {
	CaseID string
	Stage  casework.Stage
	Comune string
	Level  string
	Task   casework.Task
}

// ListTasks returns the open tasks owned by owner: overdue first, then by deadline, then
// those with no deadline. At most limit items.
func (s *Store) ListTasks(ctx context.Context, owner casework.Org, now time.Time, limit int) ([]TaskItem, error) {
	if limit <= 0 {
		limit = 100
	}
	var items []TaskItem
	err := s.queryInOrg(ctx, planGeneric, tasksQuery(limit), pgx.NamedArgs{"owner": owner.String()}, func(rows pgx.Rows) (err error) {
		items, err = pgx.CollectRows(rows, scanTaskItem)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return items, nil
}

func scanTaskItem(row pgx.CollectableRow) (TaskItem, error) {
	var it TaskItem
	var t taskColumns
	var stage string // as in scanSummary
	if err := row.Scan(&it.CaseID, &stage, &it.Comune, &it.Level, &t.kind, &t.owner, &t.since, &t.due, &t.reminder, &t.reminded, &t.escalated); err != nil {
		return it, err
	}
	it.Stage = casework.Stage(stage)
	task, err := t.task()
	if err == nil {
		it.Task = *task
	}
	return it, err
}

// Timeline returns the events of a case in order.
func (s *Store) Timeline(ctx context.Context, caseID string) ([]casework.Event, error) {
	// One round trip (batchInOrg): whether the caller sees the case, then its events
	// (none for a case it does not see: row-level security).
	var events []casework.Event
	b := &pgx.Batch{}
	b.Queue(caseExistsSQL, pgx.NamedArgs{"id": caseID})
	b.Queue(selectEventsSQL, pgx.NamedArgs{"case_id": caseID})
	err := s.batchInOrg(ctx, b, func(br pgx.BatchResults) error {
		var exists bool
		if err := br.QueryRow().Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		events, err = pgx.CollectRows(rows, scanEvent)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", caseID, err)
	}
	if events == nil {
		events = []casework.Event{}
	}
	return events, nil
}

func scanEvent(row pgx.CollectableRow) (casework.Event, error) {
	var e casework.Event
	var actor string
	if err := row.Scan(&e.Seq, &e.At, &e.Kind, &actor, &e.Hub, &e.School, &e.Reason, &e.Note); err != nil {
		return e, err
	}
	if actor != "" {
		org, err := casework.ParseOrg(actor)
		if err != nil {
			return e, err
		}
		e.Actor = org
	}
	return e, nil
}

// nullIfEmpty is NULL for "", so that an unset text column stays NULL.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
