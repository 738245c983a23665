package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/namematch"
	"github.com/approdo/approdo/internal/store"
)

// AmendCaseInput is a corrected request to write over the case's form.
type AmendCaseInput struct {
	CaseID string
	// Seq is the number of the correction's event on the timeline.
	Seq     int64
	Request enrolment.Request
	// Suggest asks for the class to be suggested again from the (corrected) birth date.
	Suggest bool
}

// AmendCaseResult is the class suggested from the age, as stored after the correction.
type AmendCaseResult struct {
	SuggestedLevel string `json:",omitempty"`
	SuggestedYear  int    `json:",omitempty"`
}

// AmendCase writes a corrected request to the read model. A retry writes the same values
// again, and a late retry of an older correction finds a newer one and changes nothing.
func (c *Cases) AmendCase(ctx context.Context, in AmendCaseInput) (AmendCaseResult, error) {
	r := in.Request
	form := store.CaseForm{
		Seq:                in.Seq,
		MinorGivenName:     r.Minor.GivenName,
		MinorFamilyName:    r.Minor.FamilyName,
		MinorBirthDate:     r.Minor.BirthDate,
		MinorSex:           r.Minor.Sex,
		MinorCitizenship:   r.Minor.Citizenship,
		MinorCodiceFiscale: r.Minor.CodiceFiscale,
		MatchKey:           namematch.Key(r.Minor.GivenName, r.Minor.FamilyName, r.Minor.BirthDate),
		Origin:             string(r.Origin),
		SpecialNeeds:       r.SpecialNeeds.Present,
		SpecialNeedsNote:   r.SpecialNeeds.Note,
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
		Suggest: in.Suggest,
	}
	if in.Suggest {
		// As when the case was recorded: for the school year under way, by the scheduled
		// time, which every retry shares.
		if class, ok := enrolment.SuggestClass(r.BirthDate(), activity.GetInfo(ctx).ScheduledTime.In(calendar.Rome)); ok {
			form.SuggestedLevel, form.SuggestedYear = string(class.Level), class.Year
		}
	}
	ctx = store.AsSystem(ctx)
	if _, err := c.Store.AmendCase(ctx, in.CaseID, form); err != nil {
		return AmendCaseResult{}, fmt.Errorf("amend enrolment case: %w", err)
	}
	stored, err := c.Store.GetCase(ctx, in.CaseID)
	if err != nil {
		return AmendCaseResult{}, fmt.Errorf("read amended case: %w", err)
	}
	activity.GetLogger(ctx).Info("Enrolment case amended", "CaseID", in.CaseID)
	return AmendCaseResult{SuggestedLevel: stored.SuggestedLevel, SuggestedYear: stored.SuggestedYear}, nil
}
