package start_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/start"
)

const queue = "approdo-test"

// The IDs below are written out rather than computed: they are in running workflows'
// histories and in the store, so a changed formula must fail here.

func TestEnrolment(t *testing.T) {
	t.Parallel()
	s := start.Enrolment(queue, "6f1c0a47-0d7e-5b39-8e5b-2b8f0f7b1c11", "015146", "ukrainian_refugee")
	require.Equal(t, "EnrolmentCase", s.Name)
	require.Equal(t, client.StartWorkflowOptions{
		ID:                       "enrolment-6f1c0a47-0d7e-5b39-8e5b-2b8f0f7b1c11",
		TaskQueue:                queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Stage.ValueSet("received"),
			searchattr.ComuneIstat.ValueSet("015146"),
			searchattr.Origin.ValueSet("ukrainian_refugee"),
		),
	}, s.Options)

	child := start.EnrolmentChild("6f1c0a47-0d7e-5b39-8e5b-2b8f0f7b1c11")
	require.Equal(t, s.Options.ID, child.WorkflowID, "a journey's child has the ID a filing would give it")
	require.Equal(t, enumspb.PARENT_CLOSE_POLICY_ABANDON, child.ParentClosePolicy)
}

func TestJourney(t *testing.T) {
	t.Parallel()
	s := start.Journey(queue, "0b0e7f3a-3c36-5c8e-9a0e-7d1e6c2f4a55", "015146")
	require.Equal(t, "ReunificationJourney", s.Name)
	require.Equal(t, client.StartWorkflowOptions{
		ID:                       "reunification-0b0e7f3a-3c36-5c8e-9a0e-7d1e6c2f4a55",
		TaskQueue:                queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Stage.ValueSet("contacting"),
			searchattr.ComuneIstat.ValueSet("015146"),
		),
	}, s.Options)
}

func TestIntervention(t *testing.T) {
	t.Parallel()
	require.Equal(t, "InterventionCase", start.InterventionName)
	child := start.InterventionChild("case-1", "3")
	require.Equal(t, "intervention-case-1-3", child.WorkflowID)
	require.Equal(t, start.InterventionID("case-1", "3"), child.WorkflowID)
	require.Equal(t, enumspb.PARENT_CLOSE_POLICY_ABANDON, child.ParentClosePolicy, "an intervention outlives its case")
}

func TestFamilyImport(t *testing.T) {
	t.Parallel()
	s := start.FamilyImport(queue, "imp-1")
	require.Equal(t, "FamilyImport", s.Name)
	require.Equal(t, client.StartWorkflowOptions{
		ID:                       "family-import-imp-1",
		TaskQueue:                queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, s.Options)
}

func TestNotice(t *testing.T) {
	t.Parallel()
	key := "case-1/received/hub:cti:21"
	s := start.Notice(queue, key)
	require.Equal(t, "DeliverNotification", s.Name)
	require.Equal(t, client.StartWorkflowOptions{
		ID:                       "notice-1af67ef5c31f2871eaea8fbd9a4dbf8e",
		TaskQueue:                queue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, s.Options)
	require.NotContains(t, s.Options.ID, "hub", "the key, which names a recipient, does not show in the ID")
	require.NotEqual(t, s.Options.ID, start.NoticeID(key+"x"))
}

func TestAccountMessage(t *testing.T) {
	t.Parallel()
	key := "invitation/school:MIIC8AB00X/1"
	s := start.AccountMessage(queue, key)
	require.Equal(t, "DeliverAccountMessage", s.Name)
	require.Equal(t, client.StartWorkflowOptions{
		ID:                       "account-message-2b7c0b7c7ca5b04c8068c7019e02eb72",
		TaskQueue:                queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, s.Options)
	child := start.AccountMessageChild(key)
	require.Equal(t, s.Options.ID, child.WorkflowID, "the API and an onboarding start the same delivery")
	require.Equal(t, enumspb.PARENT_CLOSE_POLICY_ABANDON, child.ParentClosePolicy)
}

func TestOnboarding(t *testing.T) {
	t.Parallel()
	s := start.Onboarding(queue, "015146")
	require.Equal(t, "ComuneOnboarding", s.Name)
	require.Equal(t, onboardingOptions("onboarding-comune-015146"), s.Options)

	school := casework.Org{Kind: casework.OrgSchool, Code: "MIIC8AB00X"}
	s = start.OrgOnboarding(queue, school)
	require.Equal(t, "OrgOnboarding", s.Name)
	require.Equal(t, onboardingOptions("onboarding-school-MIIC8AB00X"), s.Options)

	comune := casework.Org{Kind: casework.OrgComune, Code: "015146"}
	require.Equal(t, start.OnboardingID("015146"), start.OrgOnboardingID(comune), "the first-login signal finds a comune's onboarding by the organisation")
	require.Equal(t, "onboarding-ust", start.OrgOnboardingID(casework.Org{Kind: casework.OrgUST}))
}

func onboardingOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                queue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	type input struct{ Period time.Duration }
	a := start.Retention(queue, input{Period: time.Hour})
	require.Equal(t, &client.ScheduleWorkflowAction{
		ID:                       "approdo-retention",
		Workflow:                 "Retention",
		Args:                     []any{input{Period: time.Hour}},
		TaskQueue:                queue,
		WorkflowExecutionTimeout: 23 * time.Hour,
	}, a)
	require.Equal(t, "approdo-retention", start.RetentionScheduleID)
}
