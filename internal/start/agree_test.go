package start_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/workflows"
)

// TestTheWorkflowsAgree holds the names and IDs that packages workflows and activities
// still spell themselves (the worker registers the workflows under their names, and the
// workflows start their children with their own IDs) to this package's, until they use
// it: a workflow started here under a name nobody registered would wait forever.
func TestTheWorkflowsAgree(t *testing.T) {
	t.Parallel()
	names := [][2]string{
		{workflows.EnrolmentWorkflowName, start.EnrolmentName},
		{workflows.ReunificationWorkflowName, start.JourneyName},
		{workflows.InterventionWorkflowName, start.InterventionName},
		{workflows.FamilyImportWorkflowName, start.FamilyImportName},
		{workflows.OnboardingWorkflowName, start.OnboardingName},
		{workflows.OrgOnboardingWorkflowName, start.OrgOnboardingName},
		{workflows.DeliverAccountMessageWorkflowName, start.AccountMessageName},
		{activities.DeliverNotificationWorkflowName, start.NoticeName},
		{activities.DeliverAccountMessageWorkflowName, start.AccountMessageName},
		{workflows.RetentionWorkflowName, start.RetentionName},
	}
	for _, n := range names {
		require.Equal(t, n[0], n[1])
	}
	require.Equal(t, workflows.RetentionScheduleID, start.RetentionScheduleID)
	stage, _ := start.Journey(queue, "j", "015146").Options.TypedSearchAttributes.GetKeyword(searchattr.Stage)
	require.Equal(t, workflows.JourneyContacting, stage)
	stage, _ = start.Enrolment(queue, "c", "015146", "ukrainian_refugee").Options.TypedSearchAttributes.GetKeyword(searchattr.Stage)
	require.Equal(t, workflows.StageReceived, stage)

	require.Equal(t, enrolment.WorkflowID("c"), start.EnrolmentID("c"))
	require.Equal(t, reunification.WorkflowID("j"), start.JourneyID("j"))
	require.Equal(t, workflows.InterventionWorkflowID("c", "2"), start.InterventionID("c", "2"))
	require.Equal(t, workflows.OnboardingWorkflowID("015146"), start.OnboardingID("015146"))
	school := casework.Org{Kind: casework.OrgSchool, Code: "MIIC8AB00X"}
	require.Equal(t, workflows.OrgOnboardingWorkflowID(school), start.OrgOnboardingID(school))
	require.Equal(t, workflows.OrgOnboardingWorkflowID(casework.UST), start.OrgOnboardingID(casework.UST))
	require.Equal(t, workflows.AccountMessageWorkflowID("k"), start.AccountMessageID("k"))
	require.Equal(t, activities.NoticeWorkflowID("k"), start.NoticeID("k"))
}
