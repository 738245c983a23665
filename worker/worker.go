// Package worker assembles the Temporal worker that runs Approdo's workflows and
// activities on one task queue.
package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/activities/imports"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/dispatch"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// Dependencies are what the activities need.
type Dependencies struct {
	Cases    *activities.Cases
	Routing  *activities.Routing
	Policies *activities.Policies
	// Delivery sends notifications by email; nil leaves them in the outbox.
	Delivery *activities.Delivery
	// Onboarding gives comuni their accounts.
	Onboarding *activities.Onboarding
	// Journeys keeps the reunification journeys' projection.
	Journeys *activities.Journeys
	// Interventions keeps the orientation service's intervention cases.
	Interventions *activities.Interventions
	// Imports opens the journeys of bulk files of families; it needs a Temporal client,
	// so the process sets it.
	Imports *imports.Imports
	// Retention pseudonymises closed records for the retention workflow.
	Retention *activities.Retention
	// Log is where the email dispatcher logs; nil means slog's default.
	Log *slog.Logger
}

// DependenciesOn returns the activities' dependencies on one store, with the case policy
// new cases follow.
func DependenciesOn(st *store.Store, policy casework.Policy) Dependencies {
	return Dependencies{
		Cases:    &activities.Cases{Store: st},
		Routing:  &activities.Routing{Store: st},
		Policies: &activities.Policies{Policy: policy},
		Onboarding: &activities.Onboarding{Store: st, Policy: activities.OnboardingPolicy{
			ReminderEvery: 7 * 24 * time.Hour, Reminders: 3,
		}},
		Journeys:      &activities.Journeys{Store: st, Policy: DefaultJourneyPolicy},
		Interventions: &activities.Interventions{Store: st, Policy: casework.DefaultInterventionPolicy()},
		Retention:     &activities.Retention{Store: st},
	}
}

// DefaultJourneyPolicy is the reunification journey's policy when the configuration sets
// none: three failed contacts, a day's notice of the interview, a nulla osta valid six
// months, eight days to apply for the permesso, monthly follow-ups for three months, and
// at most a year.
var DefaultJourneyPolicy = casework.JourneyPolicy{
	MaxContactAttempts: 3, InterviewReminder: 24 * time.Hour, NullaOstaValidity: 183 * 24 * time.Hour,
	PermessoDays: 8, FollowUpEvery: 30 * 24 * time.Hour, FollowUps: 3, MaxDuration: 365 * 24 * time.Hour,
}

// New returns a worker polling taskQueue, with every workflow and activity registered.
// The caller starts and stops it. With mail configured (Delivery, and Cases with its
// Temporal client) the worker also runs the email dispatcher, which sends the email
// notices from the outbox (package dispatch), from Start to Stop.
func New(c client.Client, taskQueue string, opts sdkworker.Options, deps Dependencies) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, opts)
	Register(w, deps)
	if deps.Delivery == nil || deps.Cases == nil || deps.Cases.Temporal == nil {
		return w
	}
	d := &dispatch.Dispatcher{Store: deps.Delivery.Store, Sender: activities.EmailSender{Delivery: deps.Delivery}, Temporal: c, Log: deps.Log}
	if d.Log != nil {
		d.Log = d.Log.With("part", "dispatch")
	}
	return &withDispatcher{Worker: w, dispatcher: d}
}

// withDispatcher is a worker that also runs the email dispatcher while it runs.
type withDispatcher struct {
	sdkworker.Worker
	dispatcher *dispatch.Dispatcher
	mu         sync.Mutex
	stop       context.CancelFunc
	done       chan struct{}
}

func (w *withDispatcher) Start() error {
	if err := w.Worker.Start(); err != nil {
		return err
	}
	w.startDispatcher()
	return nil
}

func (w *withDispatcher) Run(interruptCh <-chan interface{}) error {
	w.startDispatcher()
	defer w.stopDispatcher()
	return w.Worker.Run(interruptCh)
}

// Stop stops the dispatcher, which lets its sends under way finish, then the worker.
func (w *withDispatcher) Stop() {
	w.stopDispatcher()
	w.Worker.Stop()
}

func (w *withDispatcher) startDispatcher() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		w.dispatcher.Run(ctx)
	}()
}

func (w *withDispatcher) stopDispatcher() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop == nil {
		return
	}
	w.stop()
	<-w.done
}

// Register registers every workflow and activity on r. Tests use it with the SDK's test
// environment, so that they run exactly what production runs.
func Register(r sdkworker.Registry, deps Dependencies) {
	RegisterWorkflows(r)
	r.RegisterActivity(deps.Cases)
	r.RegisterActivity(deps.Routing)
	r.RegisterActivity(deps.Policies)
	if deps.Delivery != nil {
		r.RegisterActivity(deps.Delivery)
	}
	if deps.Onboarding != nil {
		r.RegisterActivity(deps.Onboarding)
	}
	if deps.Journeys != nil {
		r.RegisterActivity(deps.Journeys)
	}
	if deps.Interventions != nil {
		r.RegisterActivity(deps.Interventions)
	}
	if deps.Retention != nil {
		r.RegisterActivity(deps.Retention)
	}
	if deps.Imports != nil {
		r.RegisterActivityWithOptions(deps.Imports.StartImportedJourneys, activity.RegisterOptions{Name: workflows.StartImportedJourneysActivity})
	}
}

// RegisterWorkflows registers every workflow on r under its fixed name. The replay test
// uses it on its own, since a replayer runs no activities.
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.EnrolmentWorkflow, workflow.RegisterOptions{Name: workflows.EnrolmentWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.DeliverNotificationWorkflow, workflow.RegisterOptions{Name: activities.DeliverNotificationWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.DeliverAccountMessageWorkflow, workflow.RegisterOptions{Name: workflows.DeliverAccountMessageWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ComuneOnboardingWorkflow, workflow.RegisterOptions{Name: workflows.OnboardingWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.OrgOnboardingWorkflow, workflow.RegisterOptions{Name: workflows.OrgOnboardingWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ReunificationJourneyWorkflow, workflow.RegisterOptions{Name: workflows.ReunificationWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.InterventionWorkflow, workflow.RegisterOptions{Name: workflows.InterventionWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.FamilyImportWorkflow, workflow.RegisterOptions{Name: workflows.FamilyImportWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.RetentionWorkflow, workflow.RegisterOptions{Name: workflows.RetentionWorkflowName})
}
