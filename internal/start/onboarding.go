package start

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/casework"
)

// OnboardingName is the registered type name of a comune's onboarding.
const OnboardingName = "ComuneOnboarding"

// OnboardingID is the workflow ID of the onboarding of the comune with ISTAT code istat:
// one per comune, so that onboarding all comuni twice onboards none twice.
func OnboardingID(istat string) string { return "onboarding-comune-" + istat }

// Onboarding is how `approdo onboard` starts the onboarding of the comune with ISTAT code
// istat on taskQueue. See onboardingOptions for what a second start does.
func Onboarding(taskQueue, istat string) Spec {
	return Spec{Name: OnboardingName, Options: onboardingOptions(taskQueue, OnboardingID(istat))}
}

// OrgOnboardingName is the registered type name of the onboarding of any other
// organisation: a school, a hub (CTI, Polo START) or a FAMI organisation.
const OrgOnboardingName = "OrgOnboarding"

// OrgOnboardingID is the workflow ID of an organisation's onboarding: one per
// organisation. For a comune it is OnboardingID's, so the API's first-login signal finds
// either kind by the organisation alone.
func OrgOnboardingID(org casework.Org) string {
	if org.Code == "" {
		return "onboarding-" + string(org.Kind)
	}
	return "onboarding-" + string(org.Kind) + "-" + org.Code
}

// OrgOnboarding is how the onboarding of org starts on taskQueue, from the portal or
// `approdo onboard`. See onboardingOptions for what a second start does.
func OrgOnboarding(taskQueue string, org casework.Org) Spec {
	return Spec{Name: OrgOnboardingName, Options: onboardingOptions(taskQueue, OrgOnboardingID(org))}
}

// onboardingOptions start an onboarding at most once per organisation: one that runs, or
// that ended other than by failing, makes a second start fail with
// WorkflowExecutionAlreadyStarted, so no second account and no second PEC; only a failed
// one may be started again.
func onboardingOptions(taskQueue, id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// Without it the client answers a running onboarding with its run, as if started
		// now, and the callers' counts would say so.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
}
