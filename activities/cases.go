package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/namematch"
	"github.com/approdo/approdo/internal/store"
)

// Cases records enrolment cases in PostgreSQL.
type Cases struct {
	Store *store.Store
	// Temporal and TaskQueue start the delivery of each PEC; without them (no mail
	// configured) notifications wait in the outbox. Email notices go to the dispatcher.
	Temporal  client.Client
	TaskQueue string
}

// RecordCaseInput is what the enrolment workflow asks to record.
type RecordCaseInput struct {
	CaseID      string
	WorkflowID  string
	FiledBy     string
	RequestHash string
	Request     enrolment.Request
	Stage       string
	// FiledAt is when the case was filed (its workflow's start), for the class suggested
	// from the age. Zero in the inputs of the scheduled activity, which used its scheduled
	// time: a local activity's changes with each workflow task that runs it.
	FiledAt time.Time `json:",omitzero"`
}

// RecordCaseResult is the case as stored.
type RecordCaseResult struct {
	Stage     string
	CreatedAt time.Time
	// SuggestedLevel and SuggestedYear are the class the minor's age points to; empty
	// for a child under three.
	SuggestedLevel string `json:",omitempty"`
	SuggestedYear  int    `json:",omitempty"`
	// DuplicateOf is set, and nothing recorded, when the minor already has an open case:
	// its ID.
	DuplicateOf string `json:",omitempty"`
}

// RecordCase stores the case, once: a retry after a lost response finds the row and
// returns it unchanged instead of writing a second one.
func (c *Cases) RecordCase(ctx context.Context, in RecordCaseInput) (RecordCaseResult, error) {
	r := in.Request
	record := store.Case{
		ID:                 in.CaseID,
		RequestID:          r.RequestID,
		FiledBy:            in.FiledBy,
		RequestHash:        in.RequestHash,
		WorkflowID:         in.WorkflowID,
		Comune:             r.Comune,
		Level:              string(r.Level),
		MinorGivenName:     r.Minor.GivenName,
		MinorFamilyName:    r.Minor.FamilyName,
		MinorBirthDate:     r.Minor.BirthDate,
		Stage:              in.Stage,
		MinorSex:           r.Minor.Sex,
		MinorCitizenship:   r.Minor.Citizenship,
		MinorCodiceFiscale: r.Minor.CodiceFiscale,
		Municipio:          r.Residence.Municipio,
		Origin:             string(r.Origin),
		SpecialNeeds:       r.SpecialNeeds.Present,
		SpecialNeedsNote:   r.SpecialNeeds.Note,
		MatchKey:           namematch.Key(r.Minor.GivenName, r.Minor.FamilyName, r.Minor.BirthDate),
		Details: store.CaseDetails{
			Languages:           r.Languages,
			PriorSchoolingYears: r.PriorSchooling.Years,
			LastClassAbroad:     r.PriorSchooling.LastClassAbroad,
			GuardianName:        r.Guardian.Name,
			GuardianPhone:       r.Guardian.Phone,
			GuardianEmail:       r.Guardian.Email,
			GuardianLanguage:    r.Guardian.PreferredLanguage,
			ResidenceAddress:    r.Residence.Address,
			Notes:               r.Notes,
		},
	}
	// The class is suggested for the school year under way when the case was filed, so
	// that a retry the next day suggests the same class: the filing time the workflow
	// gives, or else the scheduled time, the same for every retry of a scheduled activity.
	filed := in.FiledAt
	if filed.IsZero() {
		filed = activity.GetInfo(ctx).ScheduledTime
	}
	if class, ok := enrolment.SuggestClass(r.BirthDate(), filed.In(calendar.Rome)); ok {
		record.SuggestedLevel, record.SuggestedYear = string(class.Level), class.Year
	}
	stored, err := c.Store.RecordCase(store.AsSystem(ctx), record)
	if open, ok := store.IsDuplicateMinor(err); ok {
		activity.GetLogger(ctx).Info("Enrolment request names the minor of an open case", "CaseID", in.CaseID, "OpenCaseID", open)
		return RecordCaseResult{DuplicateOf: open}, nil
	}
	if err != nil {
		// The wrapped error names the case ID only; the store never puts field values in
		// its errors, so no personal data reaches Temporal's history through here.
		return RecordCaseResult{}, fmt.Errorf("record enrolment case: %w", err)
	}
	activity.GetLogger(ctx).Info("Enrolment case recorded", "CaseID", in.CaseID)
	return RecordCaseResult{Stage: stored.Stage, CreatedAt: stored.CreatedAt, SuggestedLevel: stored.SuggestedLevel, SuggestedYear: stored.SuggestedYear}, nil
}
