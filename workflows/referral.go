package workflows

import (
	"errors"
	"fmt"
	"strconv"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/internal/store"
)

// This file links the enrolment case to the orientation service's interventions: a
// dropout-risk referral (a follow-up check, or the school's own report) opens an
// intervention case, and an intervention closed with a school change sends the case back
// to its hub for a new school.

// interventionsChange is the GetVersion change ID of opening intervention cases. A
// referral recorded before it opened none, and replays so.
const interventionsChange = "interventions"

// UpdateReportDropoutRisk: the school of the placement reports a pupil at risk on its own.
const UpdateReportDropoutRisk = "report_dropout_risk"

// ReportDropoutRiskInput is the argument of UpdateReportDropoutRisk.
type ReportDropoutRiskInput struct {
	Actor casework.Org
	Note  string
}

// schoolReportChecks is where the dropout_referral numbers of a school's own reports
// start: below it are the follow-up checks.
const schoolReportChecks = 100

// openIntervention starts the intervention case of a referral, as a child that outlives
// the enrolment case. It reports false for a case whose history predates interventions:
// such a case tells the orientation service itself.
func (c *enrolmentCase) openIntervention(ctx workflow.Context, referral, reason, note string) (bool, error) {
	if workflow.GetVersion(ctx, interventionsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false, nil
	}
	cctx := workflow.WithChildOptions(ctx, start.InterventionChild(c.input.CaseID, referral))
	child := workflow.ExecuteChildWorkflow(cctx, InterventionWorkflowName, InterventionInput{
		CaseID: c.input.CaseID, Referral: referral, School: c.state.Placement.School, Comune: c.state.Comune, Reason: reason, Note: note,
	})
	err := child.GetChildWorkflowExecution().Get(ctx, nil)
	var started *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &started) {
		return true, nil // opened before: a referral has one intervention
	}
	return err == nil, err
}

// referralNotices are the notices of a dropout-risk referral: the comune is told; the
// orientation service hears of it from the intervention, unless none was opened.
func (c *enrolmentCase) referralNotices(opened bool) []notice {
	if opened {
		return []notice{c.notice("dropout_referral", c.comuneOrg())}
	}
	return []notice{c.notice("dropout_referral", casework.Orientation), c.notice("dropout_referral", c.comuneOrg())}
}

func (c *enrolmentCase) validateReportDropoutRisk(_ workflow.Context, in ReportDropoutRiskInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	if c.state.Stage != casework.StageEnrolled || c.state.Placement == nil {
		return wrongStage("si segnala il rischio di dispersione di un alunno iscritto")
	}
	if in.Actor != casework.UST && in.Actor != schoolOrg(c.state.Placement.School) {
		return notAllowed("lo segnala la scuola in cui l'alunno è iscritto")
	}
	return checkNote(in.Note, false)
}

// reportDropoutRisk records the school's report and opens an intervention case.
func (c *enrolmentCase) reportDropoutRisk(ctx workflow.Context, in ReportDropoutRiskInput) (ActionResult, error) {
	c.state.SchoolReports++
	n := c.state.SchoolReports
	school := c.state.Placement.School
	c.state.DropoutRisk = true
	c.addEvent(ctx, casework.Event{Kind: casework.EventDropoutReferral, Actor: in.Actor, School: school, Reason: casework.ReferralSchoolReport, Note: in.Note})
	var cases *activities.Cases
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, durableActivity), cases.OpenDropoutReferral, store.DropoutReferral{
		CaseID: c.input.CaseID, Check: schoolReportChecks + n, School: school, Reason: casework.ReferralSchoolReport, OpenedAt: workflow.Now(ctx),
	}).Get(ctx, nil)
	if err != nil {
		return c.result(), err
	}
	opened, err := c.openIntervention(ctx, "report-"+strconv.Itoa(n), casework.ReferralSchoolReport, in.Note)
	if err != nil {
		return c.result(), err
	}
	return c.result(), c.commit(ctx, c.referralNotices(opened)...)
}

// listenForSchoolChanges takes the school changes that interventions ask for: the pupil
// leaves the school, and the case goes back to its hub to propose another.
func (c *enrolmentCase) listenForSchoolChanges(ctx workflow.Context) {
	changes := workflow.GetSignalChannel(ctx, SignalSchoolChange)
	for {
		var sc SchoolChange
		changes.Receive(ctx, &sc)
		if c.state.Stage != casework.StageEnrolled || c.state.Placement == nil || c.state.Hub.IsZero() {
			workflow.GetLogger(ctx).Warn("A school change arrived for a case not enrolled through a hub", "CaseID", c.input.CaseID)
			continue
		}
		left := c.state.Placement.School
		c.state.Placement, c.state.FollowUps = nil, nil
		c.state.RoundProposals, c.state.RejectedBy = 0, nil
		c.addEvent(ctx, casework.Event{Kind: casework.EventSchoolChange, School: left, Hub: c.state.Hub.String(), Note: sc.Note})
		c.openProposalTask(ctx)
		if err := c.commit(ctx, c.notice("school_change", c.state.Hub), c.notice("school_change", schoolOrg(left))); err != nil {
			workflow.GetLogger(ctx).Error("Could not record a school change", "CaseID", c.input.CaseID, "Error", fmt.Sprint(err))
		}
	}
}
