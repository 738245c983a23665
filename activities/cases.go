package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/store"
)

// Cases records enrolment cases in PostgreSQL.
type Cases struct {
	Store *store.Store
}

// RecordCaseInput is what the enrolment workflow asks to record.
type RecordCaseInput struct {
	CaseID      string
	WorkflowID  string
	FiledBy     string
	RequestHash string
	Request     enrolment.Request
	Stage       string
}

// RecordCaseResult is the case as stored.
type RecordCaseResult struct {
	Stage     string
	CreatedAt time.Time
}

// RecordCase stores the case, once: a retry after a lost response finds the row and
// returns it unchanged instead of writing a second one.
func (c *Cases) RecordCase(ctx context.Context, in RecordCaseInput) (RecordCaseResult, error) {
	stored, err := c.Store.RecordCase(ctx, store.Case{
		ID:              in.CaseID,
		RequestID:       in.Request.RequestID,
		FiledBy:         in.FiledBy,
		RequestHash:     in.RequestHash,
		WorkflowID:      in.WorkflowID,
		Comune:          in.Request.Comune,
		Level:           string(in.Request.Level),
		MinorGivenName:  in.Request.Minor.GivenName,
		MinorFamilyName: in.Request.Minor.FamilyName,
		MinorBirthDate:  in.Request.Minor.BirthDate,
		Stage:           in.Stage,
	})
	if err != nil {
		// The wrapped error names the case ID only; the store never puts field values in
		// its errors, so no personal data reaches Temporal's history through here.
		return RecordCaseResult{}, fmt.Errorf("record enrolment case: %w", err)
	}
	activity.GetLogger(ctx).Info("Enrolment case recorded", "CaseID", in.CaseID)
	return RecordCaseResult{Stage: stored.Stage, CreatedAt: stored.CreatedAt}, nil
}
