package start

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/searchattr"
)

// EnrolmentName is the registered type name of an enrolment case, fixed so that renaming
// the function cannot orphan running cases.
const EnrolmentName = "EnrolmentCase"

// EnrolmentID is the workflow ID of the enrolment case caseID.
func EnrolmentID(caseID string) string { return "enrolment-" + caseID }

// Enrolment is how case caseID, filed for the comune with ISTAT code comune and with
// origin, starts on taskQueue. The filing starts it with its Register update
// (Spec.UpdateWithStart): a running case answers a repeated request, and a closed one is
// never started again by it (the store answers then). It starts in stage received, so
// that the Temporal UI lists it by comune and origin before its first transition.
func Enrolment(taskQueue, caseID, comune, origin string) Spec {
	return Spec{Name: EnrolmentName, Options: client.StartWorkflowOptions{
		ID:                       EnrolmentID(caseID),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Stage.ValueSet(string(casework.StageReceived)),
			searchattr.ComuneIstat.ValueSet(comune),
			searchattr.Origin.ValueSet(origin),
		),
	}}
}

// EnrolmentChild is the options of the case a reunification journey opens for one of its
// members. The case outlives the journey, and its ID is the one a filing would give it.
func EnrolmentChild(caseID string) workflow.ChildWorkflowOptions {
	return workflow.ChildWorkflowOptions{
		WorkflowID:        EnrolmentID(caseID),
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
	}
}

// JourneyName is the registered type name of a reunification journey.
const JourneyName = "ReunificationJourney"

// JourneyID is the workflow ID of the reunification journey journeyID.
func JourneyID(journeyID string) string { return "reunification-" + journeyID }

// journeyFirstStage is the stage a journey starts in (workflows.JourneyContacting).
const journeyFirstStage = "contacting"

// Journey is how journey journeyID, whose sponsor lives in the comune with ISTAT code
// comune, starts on taskQueue. The API starts it with its Register update
// (Spec.UpdateWithStart) and a family import with a plain start (Spec.Execute): either
// finds a running journey and uses it, and neither starts a closed one again.
func Journey(taskQueue, journeyID, comune string) Spec {
	return Spec{Name: JourneyName, Options: client.StartWorkflowOptions{
		ID:                       JourneyID(journeyID),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Stage.ValueSet(journeyFirstStage),
			searchattr.ComuneIstat.ValueSet(comune),
		),
	}}
}

// InterventionName is the registered type name of an intervention.
const InterventionName = "InterventionCase"

// InterventionID is the workflow ID of the intervention opened by referral of case
// caseID: one per referral, so a referral sent twice opens one intervention. It is the
// intervention's own ID (casework.InterventionID).
func InterventionID(caseID, referral string) string {
	return casework.InterventionID(caseID, referral)
}

// InterventionChild is the options of the intervention an enrolment case opens for a
// referral: only a case opens one, and the intervention outlives it.
func InterventionChild(caseID, referral string) workflow.ChildWorkflowOptions {
	return workflow.ChildWorkflowOptions{
		WorkflowID:        InterventionID(caseID, referral),
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
	}
}

// FamilyImportName is the registered type name of the import of a file of families.
const FamilyImportName = "FamilyImport"

// FamilyImportID is the workflow ID of import importID.
func FamilyImportID(importID string) string { return "family-import-" + importID }

// FamilyImport is how import importID starts on taskQueue. The API starts it again when a
// file is sent again, so that a start that failed is retried: a running import is left as
// it is (the start returns its run), and a finished one is not started again (the start
// fails with WorkflowExecutionAlreadyStarted).
func FamilyImport(taskQueue, importID string) Spec {
	return Spec{Name: FamilyImportName, Options: client.StartWorkflowOptions{
		ID:                       FamilyImportID(importID),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}}
}
