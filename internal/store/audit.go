package store

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	//go:embed queries/insert_audit.sql
	insertAuditSQL string
	//go:embed queries/select_audit.sql
	selectAuditSQL string
	//go:embed queries/prune_audit.sql
	pruneAuditSQL string
)

// AuditEntry is one read or write of case data through the API.
type AuditEntry struct {
	ID    int64
	At    time.Time
	Actor string
	// Organisation is the caller's; RecordAudit takes it from the context, so an entry
	// can only be written for the organisation that acts.
	Organisation string
	Action       string
	CaseID       string // empty for actions on no single case (lists)
	RequestID    string
	Outcome      string
	// ClientAddress is the address the request came from ("cli" for a command).
	ClientAddress string
	// Subject is what the request was about when it was no case, as "kind:id"
	// ("intervention:…", "journey:…", "token:…"), or whom a request nobody had
	// authenticated tried to be ("user:<id>@<organisation>", "unknown-user:<fingerprint>",
	// see app.Attempt); empty otherwise.
	Subject string
}

// RecordAudit appends an entry to the audit log. Nobody can change or delete one: the
// application role may only insert and (UST only) read.
func (s *Store) RecordAudit(ctx context.Context, e AuditEntry) error {
	var caseID *string
	if e.CaseID != "" {
		caseID = &e.CaseID
	}
	// One round trip for every request's record (batchInOrg).
	b := &pgx.Batch{}
	b.Queue(insertAuditSQL, pgx.NamedArgs{
		"actor": e.Actor, "organisation": orgOf(ctx), "action": e.Action, "case_id": caseID,
		"request_id": e.RequestID, "outcome": e.Outcome, "client_address": e.ClientAddress, "subject": e.Subject,
	})
	err := s.batchInOrg(ctx, b, nil)
	if err != nil {
		return fmt.Errorf("record audit entry %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter selects audit entries; empty fields do not filter.
type AuditFilter struct {
	CaseID       string
	Organisation string
	From, To     time.Time
	Limit        int // 0 means 200
}

// AuditLog returns the entries f selects, newest first. Only UST sees any.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	args := pgx.NamedArgs{"case_id": nil, "organisation": f.Organisation, "from": nullTime(f.From), "to": nullTime(f.To), "limit": f.Limit}
	if f.CaseID != "" {
		args["case_id"] = f.CaseID
	}
	var entries []AuditEntry
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, selectAuditSQL, args)
		if err != nil {
			return err
		}
		entries, err = pgx.CollectRows(rows, pgx.RowToStructByPos[AuditEntry])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return entries, nil
}

// PruneAuditLog deletes the entries older than before and says how many. It needs the
// owner's pool (Open): the application role may not delete.
func (s *Store) PruneAuditLog(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, pruneAuditSQL, pgx.NamedArgs{"before": before})
	if err != nil {
		return 0, fmt.Errorf("prune audit log: %w", err)
	}
	return tag.RowsAffected(), nil
}
