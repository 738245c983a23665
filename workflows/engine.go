package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
)

// This file is the case engine: the machinery the three long workflows (the enrolment
// case, the reunification journey and the intervention) share, written once:
//
//   - one query, QueryState, answered with the workflow's state;
//   - one update-handler table: every Update registered with its validator, under its
//     name and under the names it had before (aliases), which the histories and the
//     callers still running may send;
//   - one commit: the search attributes, the read model and the keyed notices of a
//     change, in that order;
//   - one wake loop: the case sleeps until its next alarm (a reminder, a deadline, a
//     follow-up) or until an Update or signal changes it, does what is due, and starts
//     a new run (continue-as-new) once its handlers have drained when Temporal suggests
//     one;
//   - one desk (Desk) for a task, its working-day deadline and reminder, and the
//     escalation to UST, with the task's alarms (taskAlarms);
//   - one set of validation helpers, in validate.go.
//
// A workflow embeds an engine and tells it about itself through a caseFlow. Its own
// code keeps only what is its own: its stages, its actions and what each alarm does.
//
// Any change here changes the commands of every running case of the three, so the
// committed histories of all three must keep replaying (replay_test.go).

// caseFlow is what a long workflow tells the engine about itself.
type caseFlow interface {
	// attributes are the search attributes of the case as it is now: codes only, never
	// a minor's personal data.
	attributes(ctx workflow.Context) []temporal.SearchAttributeUpdate
	// noticeInput is the notice n to queue now, keyed by the case, its newest event's
	// number, n's kind and recipient, so that a retried activity queues it once.
	noticeInput(n notice) activities.NotifyInput
	// save writes the read model, guarded by the newest event's number so that a late
	// write changes nothing, and queues the notices.
	save(ctx workflow.Context, queue []activities.NotifyInput) error
	// alarms are what the case does on its own, in the order it does them when several
	// are due: a reminder before a deadline, say. An alarm at the zero time is none.
	alarms() []alarm
	// closed reports whether the case is over: the loop then waits for the handlers
	// still running and returns.
	closed() bool
	// nextRun is the workflow type and input of the run that continues the case, with
	// its state carried over.
	nextRun() (string, any)
}

// settler is a caseFlow with something to do at the start of every turn of the loop,
// before it looks at the stage and the alarms (the enrolment case telling its journey).
type settler interface {
	settle(ctx workflow.Context)
}

// notice is a message to queue when a change is committed.
type notice struct {
	kind string
	to   casework.Org
}

// alarm is something a case does on its own at a time.
type alarm struct {
	at   time.Time
	fire func(ctx workflow.Context) error
}

// engine is the state the machinery keeps for one run of a case.
type engine struct {
	flow caseFlow
	// changes counts the changes committed (and the Updates that end without one), so
	// the wake loop wakes up to recompute its alarms after each.
	changes int
	// busy is set while an Update waits on an activity half-way through a change (a
	// reassignment or transfer being routed): the loop waits for it, and validators
	// turn other actions away until it is done.
	busy bool
	// oneTimer makes the loop sleep with one timer at a time (sleep); a case whose
	// history has a timer per wait keeps waiting so (AwaitWithTimeout).
	oneTimer bool
	// timer is the pending timer of sleep, which fires at timerAt; cancelTimer cancels
	// it.
	timer       workflow.Future
	timerAt     time.Time
	cancelTimer workflow.CancelFunc
}

// update is one row of a workflow's update-handler table: its name, the names it had
// before (kept registered for the histories that hold them and for callers that still
// send them), its handler and its validator. A validator rejection leaves no history.
type update struct {
	name      string
	aliases   []string
	handler   any
	validator any
}

// handle is a row of an update-handler table.
func handle(name string, handler, validator any) update {
	return update{name: name, handler: handler, validator: validator}
}

// alias adds the names an Update had before to its row.
func (u update) alias(names ...string) update {
	u.aliases = append(u.aliases, names...)
	return u
}

// setQuery answers QueryState, the one query of a case, with its state.
func setQuery[S any](ctx workflow.Context, state *S) error {
	return workflow.SetQueryHandler(ctx, QueryState, func() (S, error) { return *state, nil })
}

// setUpdates registers a table of Updates, in order. Registering writes no history, so a
// name added here, or an alias, changes no running case's commands; but registering
// runs at once the Updates that arrived before (with the start, say), so a table keeps
// its order, and an alias sits in the row of the name it stands for.
func setUpdates(ctx workflow.Context, updates ...update) error {
	for _, u := range updates {
		for _, name := range append([]string{u.name}, u.aliases...) {
			if err := workflow.SetUpdateHandlerWithOptions(ctx, name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
				return err
			}
		}
	}
	return nil
}

// commit makes the changes since the last commit durable and visible: the search
// attributes, then the read model and the notices.
func (e *engine) commit(ctx workflow.Context, notices ...notice) error {
	e.changes++
	if err := workflow.UpsertTypedSearchAttributes(ctx, e.flow.attributes(ctx)...); err != nil {
		return err
	}
	var queue []activities.NotifyInput
	for _, n := range notices {
		if n.to.IsZero() {
			continue // nobody to tell: a case with no hub yet, say
		}
		queue = append(queue, e.flow.noticeInput(n))
	}
	return e.flow.save(ctx, queue)
}

// saveThenNotify writes the read model with the activity save, then queues each notice,
// each a scheduled activity that retries until it succeeds.
func saveThenNotify(ctx workflow.Context, save, progress any, queue []activities.NotifyInput) error {
	actx := workflow.WithActivityOptions(ctx, durableActivity)
	if err := workflow.ExecuteActivity(actx, save, progress).Get(ctx, nil); err != nil {
		return err
	}
	var cases *activities.Cases
	for _, n := range queue {
		if err := workflow.ExecuteActivity(actx, cases.Notify, n).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// loop waits for people to act and for time to pass until the case closes: it wakes at
// the next alarm and after every change, and continues as new when Temporal suggests it.
func (e *engine) loop(ctx workflow.Context) error {
	for {
		if s, ok := e.flow.(settler); ok {
			s.settle(ctx)
		}
		if e.flow.closed() {
			// An Update that closed the case may still be at work (telling another case).
			return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		}
		seen := e.changes
		changed := func() bool {
			return e.changes != seen || e.flow.closed() || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		}
		alarms := e.flow.alarms()
		wake := nextWake(alarms)
		now := workflow.Now(ctx)
		var err error
		switch {
		case e.busy || wake.IsZero():
			// Busy: an Update is half-way through a change; it counts a change when done.
			err = workflow.Await(ctx, changed)
		case wake.After(now) && e.oneTimer:
			err = e.sleep(ctx, now, wake, changed)
		case wake.After(now):
			_, err = workflow.AwaitWithTimeout(ctx, wake.Sub(now), changed)
		default:
			err = fireDue(ctx, alarms, now)
		}
		if err != nil {
			return err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && !e.flow.closed() {
			return e.continueAsNew(ctx)
		}
	}
}

// sleep waits until wake or until changed. AwaitWithTimeout starts a timer at each wait
// and leaves it pending when the wait ends early, so each human step cost a timer, and
// each timer left behind a workflow task of four events when it fired for nothing. sleep
// keeps its timer across waits while it fires no later than the wake: a timer that fires
// early costs a turn of the loop, as the one left behind did, and the loop then starts
// the next. A timer that would fire too late is cancelled (one event) and replaced.
func (e *engine) sleep(ctx workflow.Context, now, wake time.Time, changed func() bool) error {
	// A cancelled workflow ends here, as AwaitWithTimeout ends it: a timer started on a
	// cancelled context is cancelled at once, and the loop would start another for ever.
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.timer != nil && e.timerAt.After(wake) {
		e.cancelTimer()
		e.timer = nil
	}
	if e.timer == nil {
		timerCtx, cancel := workflow.WithCancel(ctx)
		e.timer, e.timerAt, e.cancelTimer = workflow.NewTimer(timerCtx, wake.Sub(now)), wake, cancel
	}
	timer := e.timer
	if err := workflow.Await(ctx, func() bool { return changed() || timer.IsReady() }); err != nil {
		return err
	}
	if !timer.IsReady() {
		return nil
	}
	e.timer = nil
	// Fired, or cancelled with the workflow.
	return timer.Get(ctx, nil)
}

// nextWake is the time of the earliest alarm; zero when the case waits only for people.
func nextWake(alarms []alarm) time.Time {
	var next time.Time
	for _, a := range alarms {
		if !a.at.IsZero() && (next.IsZero() || a.at.Before(next)) {
			next = a.at
		}
	}
	return next
}

// fireDue does the first alarm, in the case's order, that is due at now; the loop calls
// it again while something else is due.
func fireDue(ctx workflow.Context, alarms []alarm, now time.Time) error {
	for _, a := range alarms {
		if !a.at.IsZero() && !now.Before(a.at) {
			return a.fire(ctx)
		}
	}
	return nil
}

// Desk is the work a case waits on: its task, and whether it is escalated to UST and
// why. The enrolment case and the intervention embed it in their state (its fields are
// encoded as the state's own, as they were before it existed).
type Desk struct {
	// Task is what the case waits for; nil when it waits for nobody.
	Task             *casework.Task `json:",omitempty"`
	Escalated        bool           `json:",omitempty"`
	EscalationReason string         `json:",omitempty"`
}

// openTask gives the desk a new task for owner, due in days working days by the rules
// that rules returns (no deadline for 0 days). A new task ends an escalation: somebody
// has acted.
func (d *Desk) openTask(ctx workflow.Context, kind casework.TaskKind, owner casework.Org, days int, rules func() deadlineRules) {
	now := workflow.Now(ctx)
	t := &casework.Task{Kind: kind, Owner: owner, Since: now}
	if days > 0 {
		t.DueAt, t.ReminderAt = workingDeadline(ctx, now, days, rules())
	}
	d.Task = t
	d.Escalated, d.EscalationReason = false, ""
}

// closeTask leaves the case waiting for nobody, which also ends an escalation.
func (d *Desk) closeTask() { *d = Desk{} }

// escalate calls UST in, for reason. A task past its deadline counts as escalated, so its
// deadline alarm does not fire again; the task stays with its owner.
func (d *Desk) escalate(ctx workflow.Context, reason string) {
	d.Escalated, d.EscalationReason = true, reason
	if d.Task != nil && !d.Task.DueAt.IsZero() && !workflow.Now(ctx).Before(d.Task.DueAt) {
		d.Task.Escalated = true
	}
}

// appendEvent appends e to a case's timeline, numbered after the newest (seq, which it
// advances) and stamped with the workflow's clock. The number guards the read model and
// keys the notices of the commit that follows.
func appendEvent(ctx workflow.Context, seq *int64, timeline *[]casework.Event, e casework.Event) {
	*seq++
	e.Seq, e.At = *seq, workflow.Now(ctx)
	*timeline = append(*timeline, e)
}

// taskAlarms are the alarms of an open task: its reminder, then its deadline. A task
// is reminded once and escalated once; remind and overdue say what that means for the
// case.
func taskAlarms(t *casework.Task, remind, overdue func(workflow.Context, *casework.Task) error) []alarm {
	var alarms []alarm
	if !t.ReminderAt.IsZero() && !t.Reminded {
		alarms = append(alarms, alarm{at: t.ReminderAt, fire: func(ctx workflow.Context) error {
			t.Reminded = true
			return remind(ctx, t)
		}})
	}
	if !t.DueAt.IsZero() && !t.Escalated {
		alarms = append(alarms, alarm{at: t.DueAt, fire: func(ctx workflow.Context) error { return overdue(ctx, t) }})
	}
	return alarms
}

// continueAsNew ends the run once every Update and signal handler has finished, and
// starts the next with the state carried over.
func (e *engine) continueAsNew(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	name, input := e.flow.nextRun()
	return workflow.NewContinueAsNewError(ctx, name, input)
}
