package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/onboarding"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// SubjectOnboarding is an organisation's onboarding.
const SubjectOnboarding Subject = "onboarding"

// Onboarding is only UST's: it gives organisations their first accounts and sees every
// one's login address. No other organisation may read or start it.
func notUSTOnboarding() error {
	return &RefusedError{Subject: SubjectOnboarding, Reason: RefusedNotAllowed, Message: "L'accreditamento degli enti è dell'UST."}
}

// OnboardingKinds are the kinds of organisation the onboarding list can be narrowed to.
var OnboardingKinds = []casework.OrgKind{casework.OrgComune, casework.OrgSchool, casework.OrgCTI, casework.OrgPoloStart,
	casework.OrgPrefettura, casework.OrgOneStopShop, casework.OrgOrientation}

// Onboardings lists the organisations given credentials by PEC, of one kind if kind is
// not empty: who has logged in, whose credentials were not delivered. UST only.
func (s *Service) Onboardings(ctx context.Context, reader casework.Org, kind string) ([]store.Onboarding, error) {
	if reader != casework.UST {
		return nil, notUSTOnboarding()
	}
	if kind != "" && !containsKind(kind) {
		return nil, Invalid("kind", "non è un tipo di ente accreditabile")
	}
	out, err := s.store.Onboardings(store.WithOrg(ctx, reader.String()), kind, supervisionLimit)
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("list onboardings: %w", err))
	}
	return out, nil
}

func containsKind(kind string) bool {
	for _, k := range OnboardingKinds {
		if string(k) == kind {
			return true
		}
	}
	return false
}

// startOnboardingTimeout bounds the starts of one group from the portal or the API.
const startOnboardingTimeout = 5 * time.Minute

// OnboardingStarted is what starting a group's onboarding did.
type OnboardingStarted struct {
	Started, Already int
	// NoAddress are the organisations with no address to send to: not started.
	NoAddress []string
	// SharedSchools of the targets share SharedAddresses PEC addresses (a managing
	// body's): each has its own account, logging in with its code (onboarding.Plan).
	SharedSchools, SharedAddresses int
}

// StartOnboarding starts the onboarding of every school or every hub of the reference
// data, as `approdo onboard schools|hubs` does: those already onboarding, or onboarded,
// are skipped, so starting twice sends nothing twice. The FAMI organisations are not in
// the reference data and are started from the command line, with their contacts. UST
// only.
func (s *Service) StartOnboarding(ctx context.Context, reader casework.Org, group string) (OnboardingStarted, error) {
	if reader != casework.UST {
		return OnboardingStarted{}, notUSTOnboarding()
	}
	g, err := onboarding.ParseGroup(group)
	if err != nil || g == onboarding.FAMI {
		return OnboardingStarted{}, Invalid("group", "deve essere schools o hubs")
	}
	ref, err := s.store.ReferenceData(ctx)
	if err != nil {
		return OnboardingStarted{}, unavailableOr(err)
	}
	plan, err := onboarding.PlanGroup(ref, g, nil, nil)
	if err != nil {
		// Two hubs with one address: the reference data needs a correction.
		return OnboardingStarted{}, &RefusedError{Subject: SubjectOnboarding, Reason: RefusedInvalid, Field: "group", Message: err.Error()}
	}
	// One start per organisation, hundreds for the schools: more than a request's
	// deadline allows. They go on if the person leaves the page (each start is
	// idempotent, so starting again finishes what a cut-short run left).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startOnboardingTimeout)
	defer cancel()
	res, err := onboarding.Start(sctx, s.temporal, s.taskQueue, plan.Targets, nil)
	if err != nil {
		return OnboardingStarted{}, unavailableOr(err)
	}
	out := OnboardingStarted{Started: res.Started, Already: res.Already, SharedSchools: plan.SharedSchools(), SharedAddresses: len(plan.Shared)}
	for _, o := range plan.NoAddress {
		out.NoAddress = append(out.NoAddress, o.String())
	}
	return out, nil
}

// ResendCredentials asks an organisation's onboarding to send new credentials: a new
// temporary password, which replaces the one sent before. key is the request's
// idempotency key: the onboarding takes one request per key. UST only.
func (s *Service) ResendCredentials(ctx context.Context, reader casework.Org, org, key string) error {
	if reader != casework.UST {
		return notUSTOnboarding()
	}
	o, err := casework.ParseOrg(org)
	if err != nil || o == casework.UST {
		return Invalid("org", "non è un ente accreditabile")
	}
	if strings.TrimSpace(key) == "" {
		return Required("key")
	}
	err = s.temporal.SignalWorkflow(ctx, workflows.OrgOnboardingWorkflowID(o), "", workflows.SignalResendCredentials, workflows.ResendRequest{Key: key})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// Never started, or ended: onboarded, or failed (start it again).
		return &RefusedError{Subject: SubjectOnboarding, Reason: RefusedWrongStage, Message: "L'accreditamento di questo ente non è in corso."}
	}
	if err != nil {
		return unavailableOr(fmt.Errorf("ask the onboarding of %s to resend: %w", o, err))
	}
	return nil
}
