package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/start"
)

// OnboardingWorkflowName is the registered type name of a comune's onboarding.
const OnboardingWorkflowName = start.OnboardingName

// DeliverAccountMessageWorkflowName is the registered type name of the delivery of one
// account message.
const DeliverAccountMessageWorkflowName = activities.DeliverAccountMessageWorkflowName

// OnboardingWorkflowID is the ID of a comune's onboarding: one per comune, so that
// onboarding all comuni twice onboards none twice.
func OnboardingWorkflowID(istat string) string { return start.OnboardingID(istat) }

// Signals to an onboarding: the API saw the account's first login; UST asks to send the
// credentials again (after correcting the comune's PEC address).
const (
	SignalFirstLogin        = "first-login"
	SignalResendCredentials = "resend-credentials"
)

// resendWhileAwaitingLoginChange is the GetVersion change ID of sending new credentials
// when UST asks while the onboarding waits for the first login (before, only an
// escalated onboarding took the request).
const resendWhileAwaitingLoginChange = "resend-while-awaiting-login"

// ResendRequest is the payload of SignalResendCredentials: Key, when given, is the
// request's idempotency key, and a second request with the same key is ignored.
type ResendRequest struct {
	Key string `json:",omitempty"`
}

// QueryOnboarding returns an onboarding's OnboardingState.
const QueryOnboarding = "state"

// The stages of an onboarding, in the Stage search attribute.
const (
	OnboardingCreatingAccount   = "creating_account"
	OnboardingNoPECAddress      = "no_pec_address"
	OnboardingCredentialsSent   = "credentials_sent"
	OnboardingNotDelivered      = "credentials_not_delivered"
	OnboardingAwaitingLogin     = "awaiting_first_login"
	OnboardingDone              = "onboarded"
	EscalationFirstLoginOverdue = "first_login_overdue"
)

// OnboardingInput starts the onboarding of a comune.
type OnboardingInput struct {
	Istat string
}

// OrgOnboardingWorkflowName is the registered type name of the onboarding of any other
// organisation: a school, a hub (CTI, Polo START) or a FAMI organisation.
const OrgOnboardingWorkflowName = start.OrgOnboardingName

// OrgOnboardingWorkflowID is the ID of an organisation's onboarding: one per
// organisation. For a comune it is OnboardingWorkflowID's, so the API's first-login
// signal finds either kind by the organisation alone.
func OrgOnboardingWorkflowID(org casework.Org) string { return start.OrgOnboardingID(org) }

// OrgOnboardingInput starts the onboarding of an organisation other than a comune. The
// address is fixed when it starts (from the Ministry's registry, or a contact given to
// the command): it is the account's login and where the credentials go by PEC.
type OrgOnboardingInput struct {
	Org   casework.Org
	Name  string
	Email string
}

// OnboardingState is where an onboarding stands.
type OnboardingState struct {
	Stage  string
	UserID string `json:",omitempty"`
	// Round counts the credentials issued: a resend issues new ones.
	Round int `json:",omitempty"`
	// Reminders counts the reminders sent while the credentials were unused.
	Reminders    int       `json:",omitempty"`
	NextReminder time.Time `json:",omitzero"`
	Escalated    bool      `json:",omitempty"`
	// Reason says why the onboarding is escalated, or why the credentials were not
	// delivered (a PEC receipt's type).
	Reason string `json:",omitempty"`
}

type onboarding struct {
	// subject names the organisation in message keys and logs: a comune's ISTAT code
	// (as the committed histories have it), or the organisation ("school:MIIC8AB00X").
	subject string
	// org is set for an organisation other than a comune.
	org      *activities.OrgAccountInput
	state    OnboardingState
	policy   activities.OnboardingPolicy
	loggedIn bool
	resend   bool
}

// ComuneOnboardingWorkflow gives a comune its account: it creates it, sends the
// credentials by PEC to the comune's address, waits for the delivery receipt, then for the
// first login, reminding the comune meanwhile; UST is alerted when the PEC is not
// delivered or the reminders go unanswered.
func ComuneOnboardingWorkflow(ctx workflow.Context, in OnboardingInput) (OnboardingState, error) {
	o := &onboarding{subject: in.Istat}
	return o.run(ctx, searchattr.ComuneIstat.ValueSet(in.Istat))
}

// OrgOnboardingWorkflow gives a school, a hub or a FAMI organisation its account, as
// ComuneOnboardingWorkflow does a comune's.
func OrgOnboardingWorkflow(ctx workflow.Context, in OrgOnboardingInput) (OnboardingState, error) {
	o := &onboarding{subject: in.Org.String(), org: &activities.OrgAccountInput{Org: in.Org, Name: in.Name, Email: in.Email}}
	// HubID holds an organisation's stored form; the onboarding's own organisation is
	// what the Temporal UI filters it by.
	return o.run(ctx, searchattr.HubID.ValueSet(in.Org.String()))
}

func (o *onboarding) run(ctx workflow.Context, who temporal.SearchAttributeUpdate) (OnboardingState, error) {
	if err := workflow.SetQueryHandler(ctx, QueryOnboarding, func() (OnboardingState, error) { return o.state, nil }); err != nil {
		return o.state, err
	}
	// The signals carry nothing, but are decoded all the same: one that does not decode
	// (unsealed, or with no payload: forged by someone without the payload key) is
	// dropped, where Receive(ctx, nil) would take it.
	workflow.Go(ctx, func(ctx workflow.Context) {
		var none any
		workflow.GetSignalChannel(ctx, SignalFirstLogin).Receive(ctx, &none)
		o.loggedIn = true
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalResendCredentials)
		seen := map[string]bool{}
		for {
			// The command line sends no request; the portal sends its form's key, so
			// that a form submitted twice resends once.
			var req ResendRequest
			ch.Receive(ctx, &req)
			if req.Key != "" && seen[req.Key] {
				continue
			}
			seen[req.Key] = true
			o.resend = true
		}
	})
	if err := workflow.UpsertTypedSearchAttributes(ctx, who); err != nil {
		return o.state, err
	}
	actx := workflow.WithActivityOptions(ctx, durableActivity)
	var acts *activities.Onboarding
	if err := workflow.ExecuteActivity(actx, acts.OnboardingPolicyFor).Get(ctx, &o.policy); err != nil {
		return o.state, err
	}
	if err := o.setStage(ctx, OnboardingCreatingAccount); err != nil {
		return o.state, err
	}
	account, err := o.createAccount(ctx)
	if err != nil {
		return o.state, err
	}
	if account.LoggedIn {
		return o.state, o.finish(ctx)
	}
	o.state.UserID = account.UserID
	if err := o.sendCredentials(ctx); err != nil {
		return o.state, err
	}
	if err := o.awaitFirstLogin(ctx); err != nil {
		return o.state, err
	}
	return o.state, o.finish(ctx)
}

// createAccount creates the account, waiting for UST to add the comune's PEC address to
// the reference data when it is missing.
func (o *onboarding) createAccount(ctx workflow.Context) (activities.ComuneAccount, error) {
	actx := workflow.WithActivityOptions(ctx, durableActivity)
	var acts *activities.Onboarding
	for {
		var account activities.ComuneAccount
		var create workflow.Future
		if o.org != nil {
			create = workflow.ExecuteActivity(actx, acts.CreateOrgAccount, *o.org)
		} else {
			create = workflow.ExecuteActivity(actx, acts.CreateComuneAccount, o.subject)
		}
		if err := create.Get(ctx, &account); err != nil {
			return account, err
		}
		if account.HasPEC {
			return account, nil
		}
		if err := o.escalate(ctx, OnboardingNoPECAddress, "no_pec_address"); err != nil {
			return account, err
		}
		if err := o.awaitResend(ctx); err != nil {
			return account, err
		}
	}
}

// sendCredentials issues credentials and sends them until a PEC with them is delivered.
// After a failed delivery it waits for UST to ask for another try.
func (o *onboarding) sendCredentials(ctx workflow.Context) error {
	actx := workflow.WithActivityOptions(ctx, durableActivity)
	var acts *activities.Onboarding
	for {
		o.state.Round++
		key := o.messageKey(ctx, "credentials/%d", o.state.Round)
		if err := workflow.ExecuteActivity(actx, acts.IssueCredentials, activities.IssueCredentialsInput{Key: key, UserID: o.state.UserID}).Get(ctx, nil); err != nil {
			return err
		}
		if err := o.setStage(ctx, OnboardingCredentialsSent); err != nil {
			return err
		}
		var outcome activities.Outcome
		if err := deliverAccountMessage(ctx, key).Get(ctx, &outcome); err != nil {
			return err
		}
		if outcome.Delivered {
			return nil
		}
		if err := o.escalate(ctx, OnboardingNotDelivered, outcome.Reason); err != nil {
			return err
		}
		if err := o.awaitResend(ctx); err != nil {
			return err
		}
		if o.loggedIn {
			return nil // somebody got the credentials after all
		}
	}
}

// awaitFirstLogin waits for the first login, reminding the comune by PEC at every
// interval of the policy, and alerting UST once the reminders are spent. Every interval
// it also asks the database, in case the API's signal was lost.
func (o *onboarding) awaitFirstLogin(ctx workflow.Context) error {
	// An onboarding started before resend-while-awaiting-login ignores a resend while it
	// waits for the login, as it always did.
	resendable := workflow.GetVersion(ctx, resendWhileAwaitingLoginChange, workflow.DefaultVersion, 1) == 1
	if resendable {
		o.resend = false // asked while the credentials just delivered were on their way
	}
	o.state.Escalated, o.state.Reason = false, ""
	if err := o.setStage(ctx, OnboardingAwaitingLogin); err != nil {
		return err
	}
	actx := workflow.WithActivityOptions(ctx, durableActivity)
	var acts *activities.Onboarding
	for !o.loggedIn {
		o.state.NextReminder = workflow.Now(ctx).Add(o.policy.ReminderEvery)
		if err := o.upsert(ctx); err != nil {
			return err
		}
		ok, err := workflow.AwaitWithTimeout(ctx, o.policy.ReminderEvery, func() bool { return o.loggedIn || (resendable && o.resend) })
		if err != nil {
			return err
		}
		if resendable && o.resend && !o.loggedIn {
			// UST asked for new credentials (lost, or sent to the wrong person): a new
			// temporary password replaces the old one, and the reminders start over.
			o.resend = false
			o.state.Reminders, o.state.NextReminder = 0, time.Time{}
			if err := o.sendCredentials(ctx); err != nil {
				return err
			}
			o.state.Escalated, o.state.Reason = false, ""
			if err := o.setStage(ctx, OnboardingAwaitingLogin); err != nil {
				return err
			}
			continue
		}
		if ok {
			return nil
		}
		if err := workflow.ExecuteActivity(actx, acts.HasLoggedIn, o.state.UserID).Get(ctx, &o.loggedIn); err != nil {
			return err
		}
		if o.loggedIn {
			return nil
		}
		if o.state.Reminders >= o.policy.Reminders {
			if !o.state.Escalated {
				if err := o.escalate(ctx, OnboardingAwaitingLogin, EscalationFirstLoginOverdue); err != nil {
					return err
				}
			}
			continue
		}
		o.state.Reminders++
		key := o.messageKey(ctx, "reminder/%d/%d", o.state.Round, o.state.Reminders)
		if err := workflow.ExecuteActivity(actx, acts.QueueLoginReminder, activities.IssueCredentialsInput{Key: key, UserID: o.state.UserID}).Get(ctx, nil); err != nil {
			return err
		}
		// The reminder goes on its own: its receipt is not worth holding the onboarding.
		if err := deliverAccountMessage(ctx, key).GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// messageKey names an account message of this onboarding. The run is part of it: an
// onboarding started again (after one failed) issues new credentials rather than finding
// the old ones sent.
func (o *onboarding) messageKey(ctx workflow.Context, format string, args ...any) string {
	return fmt.Sprintf("onboarding/%s/%s/", o.subject, workflow.GetInfo(ctx).WorkflowExecution.RunID) + fmt.Sprintf(format, args...)
}

func (o *onboarding) awaitResend(ctx workflow.Context) error {
	o.resend = false
	return workflow.Await(ctx, func() bool { return o.resend || o.loggedIn })
}

func (o *onboarding) finish(ctx workflow.Context) error {
	o.state.Escalated, o.state.Reason, o.state.NextReminder = false, "", time.Time{}
	return o.setStage(ctx, OnboardingDone)
}

func (o *onboarding) escalate(ctx workflow.Context, stage, reason string) error {
	o.state.Escalated, o.state.Reason = true, reason
	workflow.GetLogger(ctx).Warn("Onboarding needs UST", "Organisation", o.subject, "Reason", reason)
	return o.setStage(ctx, stage)
}

func (o *onboarding) setStage(ctx workflow.Context, stage string) error {
	o.state.Stage = stage
	return o.upsert(ctx)
}

// upsert shows the onboarding's state in the Temporal UI: the stage, whether UST is
// needed, and when the next reminder is due.
func (o *onboarding) upsert(ctx workflow.Context) error {
	updates := []temporal.SearchAttributeUpdate{
		searchattr.Stage.ValueSet(o.state.Stage),
		searchattr.Escalated.ValueSet(o.state.Escalated),
	}
	if o.state.NextReminder.IsZero() || o.state.Stage != OnboardingAwaitingLogin {
		updates = append(updates, searchattr.Deadline.ValueUnset())
	} else {
		updates = append(updates, searchattr.Deadline.ValueSet(o.state.NextReminder))
	}
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

// AccountMessageWorkflowID is the ID of the delivery of the account message queued under
// key: one per message, whoever starts it.
func AccountMessageWorkflowID(key string) string { return start.AccountMessageID(key) }

// deliverAccountMessage starts the delivery of an account message as a child that lives
// on if the onboarding ends first.
func deliverAccountMessage(ctx workflow.Context, key string) workflow.ChildWorkflowFuture {
	cctx := workflow.WithChildOptions(ctx, start.AccountMessageChild(key))
	return workflow.ExecuteChildWorkflow(cctx, DeliverAccountMessageWorkflowName, key)
}

// DeliverAccountMessageWorkflow sends one account message and, for a PEC, waits for its
// delivery receipt. It returns the outcome; ordinary email counts as delivered once the
// server took it, since nothing more can be known.
func DeliverAccountMessageWorkflow(ctx workflow.Context, key string) (activities.Outcome, error) {
	var delivery *activities.Delivery
	var sent activities.Sent
	sendErr := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, deliveryActivity), delivery.DeliverAccountMessage, key).Get(ctx, &sent)
	outcome, err := deliveryOutcome(ctx, sent, sendErr)
	if err != nil {
		return activities.Outcome{}, err
	}
	if outcome == nil {
		outcome = &activities.Outcome{Delivered: true}
	}
	actx := workflow.WithActivityOptions(ctx, durableActivity)
	if err := workflow.ExecuteActivity(actx, delivery.NoteAccountMessageOutcome, key, *outcome).Get(ctx, nil); err != nil {
		return activities.Outcome{}, err
	}
	return *outcome, nil
}
