package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/mailer"
	"github.com/approdo/approdo/internal/pec"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

var delivery *activities.Delivery

const noticeKey = "case/3/proposal/school:X"

// deliveryRun runs one delivery workflow with a fake sender; outcomes keeps what was
// recorded of the notice, signals what the case was told.
type deliveryRun struct {
	env   *testsuite.TestWorkflowEnvironment
	calls int
	// local and scheduled count the attempts made as a local activity (in the workflow
	// task) and as a scheduled one.
	local, scheduled int
	mu               sync.Mutex
	outcomes         []activities.Outcome
	signals          []workflows.NoticeUndelivered
	stages           []string
}

func newDeliveryRun(t *testing.T, attempt func(int) (activities.Sent, error)) *deliveryRun {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	worker.Register(env, worker.Dependencies{Cases: &activities.Cases{}, Routing: &activities.Routing{}, Policies: &activities.Policies{}, Delivery: &activities.Delivery{}})
	r := &deliveryRun{env: env}
	env.OnActivity(delivery.DeliverNotification, mock.Anything, noticeKey).Return(func(ctx context.Context, _ string) (activities.Sent, error) {
		r.calls++
		if activity.GetInfo(ctx).IsLocalActivity {
			r.local++
		} else {
			r.scheduled++
		}
		return attempt(r.calls)
	})
	env.OnActivity(delivery.NoteNotificationOutcome, mock.Anything, noticeKey, mock.Anything).Return(
		func(_ context.Context, _ string, o activities.Outcome) (activities.UndeliveredNotice, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.outcomes = append(r.outcomes, o)
			return activities.UndeliveredNotice{CaseWorkflowID: "enrolment-3", Kind: "placement_confirmed", Recipient: "comune:015146"}, nil
		}).Maybe()
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if stage, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(searchattr.Stage); ok {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.stages = append(r.stages, stage)
		}
	}).Return(nil).Maybe()
	env.OnSignalExternalWorkflow(mock.Anything, "enrolment-3", "", workflows.SignalNoticeUndelivered, mock.Anything).Return(
		func(_, _, _ string, _ string, arg any) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.signals = append(r.signals, arg.(workflows.NoticeUndelivered))
			return nil
		}).Maybe()
	return r
}

func (r *deliveryRun) receipt(after time.Duration, kind string) {
	r.env.RegisterDelayedCallback(func() {
		r.env.SignalWorkflow(workflows.SignalPECReceipt, workflows.PECReceiptSignal{Type: kind})
	}, after)
}

func (r *deliveryRun) run(t *testing.T) error {
	t.Helper()
	r.env.ExecuteWorkflow(activities.DeliverNotificationWorkflowName, noticeKey)
	require.True(t, r.env.IsWorkflowCompleted())
	return r.env.GetWorkflowError()
}

func pecSent(int) (activities.Sent, error) {
	return activities.Sent{MessageID: "notice-1@approdo.test", PEC: true, ReceiptTimeout: 24 * time.Hour}, nil
}

func TestDeliveryRetriesATemporaryFailure(t *testing.T) {
	t.Parallel()
	r := newDeliveryRun(t, func(n int) (activities.Sent, error) {
		if n < 3 {
			return activities.Sent{}, &mailer.Error{Code: 451, Temporary: true, Err: errors.New("try later")}
		}
		return activities.Sent{MessageID: "notice-1@approdo.test"}, nil
	})
	require.NoError(t, r.run(t))
	require.Equal(t, 3, r.calls)
	require.Equal(t, 3, r.local, "retried within the local activity's bound")
	require.Empty(t, r.outcomes, "an email that left has no outcome to wait for")
}

func TestUndeliverableNoticeIsNotRetriedAndTheCaseIsTold(t *testing.T) {
	t.Parallel()
	r := newDeliveryRun(t, func(int) (activities.Sent, error) {
		return activities.Sent{}, temporal.NewNonRetryableApplicationError("notification not deliverable", activities.ErrTypeUndeliverable, nil)
	})
	require.Error(t, r.run(t), "the workflow fails, visibly in the Temporal UI")
	require.Equal(t, 1, r.calls, "neither retried nor handed to a scheduled activity")
	require.Equal(t, []string{workflows.StageNotDelivered}, r.stages)
	require.Equal(t, []activities.Outcome{{Reason: activities.ReasonRefused}}, r.outcomes)
	require.Equal(t, []workflows.NoticeUndelivered{{Kind: "placement_confirmed", Recipient: "comune:015146", Reason: activities.ReasonRefused}}, r.signals)
}

func TestPECIsDeliveredOnItsDeliveryReceipt(t *testing.T) {
	t.Parallel()
	r := newDeliveryRun(t, pecSent)
	r.receipt(time.Minute, "accettazione")
	r.receipt(12*time.Hour+time.Minute, "preavviso-errore-consegna") // a warning only
	r.receipt(13*time.Hour, "avvenuta-consegna")
	require.NoError(t, r.run(t))
	require.Equal(t, 1, r.local, "sent by a local activity, in the first workflow task")
	require.Zero(t, r.scheduled)
	require.Equal(t, []string{workflows.StageAwaitingReceipt, workflows.StageDelivered}, r.stages)
	require.Equal(t, []activities.Outcome{{Delivered: true}}, r.outcomes)
	require.Empty(t, r.signals)
}

// The poller signals only the receipt that settles the delivery.
func TestPECIsDeliveredOnItsOnlySignal(t *testing.T) {
	t.Parallel()
	r := newDeliveryRun(t, pecSent)
	r.receipt(time.Hour, "avvenuta-consegna")
	require.NoError(t, r.run(t))
	require.Equal(t, []activities.Outcome{{Delivered: true}}, r.outcomes)
}

func TestALocalSendStillFailingGoesOnAsAScheduledActivity(t *testing.T) {
	t.Parallel()
	r := newDeliveryRun(t, func(n int) (activities.Sent, error) {
		if n < 5 {
			return activities.Sent{}, &mailer.Error{Code: 421, Temporary: true, Err: errors.New("busy")}
		}
		return pecSent(n)
	})
	r.receipt(time.Hour, "avvenuta-consegna")
	require.NoError(t, r.run(t))
	require.Equal(t, 3, r.local, "the local activity's attempts")
	require.Equal(t, 2, r.scheduled, "then the scheduled activity's, until it is sent")
	require.Equal(t, []string{workflows.StageAwaitingReceipt, workflows.StageDelivered}, r.stages)
	require.Equal(t, []activities.Outcome{{Delivered: true}}, r.outcomes)
}

func TestARefusalInTheScheduledActivityIsFinal(t *testing.T) {
	t.Parallel()
	r := newDeliveryRun(t, func(n int) (activities.Sent, error) {
		if n <= 3 {
			return activities.Sent{}, &mailer.Error{Code: 421, Temporary: true, Err: errors.New("busy")}
		}
		return activities.Sent{}, temporal.NewNonRetryableApplicationError("notification not deliverable", activities.ErrTypeUndeliverable, nil)
	})
	require.Error(t, r.run(t))
	require.Equal(t, 3, r.local)
	require.Equal(t, 1, r.scheduled, "not retried")
	require.Equal(t, []activities.Outcome{{Reason: activities.ReasonRefused}}, r.outcomes)
	require.Len(t, r.signals, 1, "the case is told")
}

func TestPECWithAnErrorReceiptEscalates(t *testing.T) {
	t.Parallel()
	r := newDeliveryRun(t, pecSent)
	r.receipt(time.Minute, "accettazione")
	r.receipt(24*time.Hour-time.Minute, "errore-consegna")
	require.NoError(t, r.run(t))
	require.Equal(t, []activities.Outcome{{Reason: "errore-consegna"}}, r.outcomes)
	require.Equal(t, []workflows.NoticeUndelivered{{Kind: "placement_confirmed", Recipient: "comune:015146", Reason: "errore-consegna"}}, r.signals)
}

func TestPECWithoutADeliveryReceiptInTimeEscalates(t *testing.T) {
	t.Parallel()
	r := newDeliveryRun(t, pecSent)
	r.receipt(time.Minute, "accettazione")
	require.NoError(t, r.run(t))
	require.Equal(t, []string{workflows.StageAwaitingReceipt, workflows.StageNotDelivered}, r.stages, "the Temporal UI shows the PEC waiting, then not delivered")
	require.Equal(t, []activities.Outcome{{Reason: activities.ReasonNoReceipt}}, r.outcomes)
	require.Len(t, r.signals, 1)
}

func TestUndeliveredNoticeEscalatesTheCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	proposed := h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	accepted := h.at(2*time.Hour, workflows.UpdateDecide, accept(schoolA, "2026-11-30"))
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalNoticeUndelivered, workflows.NoticeUndelivered{Kind: "placement_confirmed", Recipient: milano.String(), Reason: "errore-consegna"})
	}, 26*time.Hour)
	h.check(27*time.Hour, func() {
		s := h.state()
		require.Equal(t, casework.StageEnrolled, s.Stage, "the case goes on")
		require.True(t, s.Escalated)
		require.Equal(t, casework.EscalationNoticeUndelivered, s.EscalationReason)
		last := s.Timeline[len(s.Timeline)-1]
		require.Equal(t, casework.EventNoticeUndelivered, last.Kind)
		require.Equal(t, "placement_confirmed", last.Reason)
		require.Equal(t, "errore-consegna", last.Note)
		require.True(t, h.lastSaved().Escalated, "the read model shows it")
		require.Contains(t, h.noticesTo(casework.UST), "notice_undelivered")
	})
	h.check(28*time.Hour, func() { h.env.CancelWorkflow() })
	h.run()
	requireApplied(t, proposed)
	requireApplied(t, accepted)
}

func TestOnlyADeliveryReceiptOrAFinalErrorSettlesADelivery(t *testing.T) {
	t.Parallel()
	settles := map[pec.Type]bool{
		pec.Accettazione: false, pec.PresaInCarico: false, pec.PreavvisoErroreConsegna: false, pec.PostaCertificata: false,
		pec.AvvenutaConsegna: true, pec.ErroreConsegna: true, pec.NonAccettazione: true, pec.RilevazioneVirus: true,
	}
	for typ, want := range settles {
		require.Equal(t, want, workflows.ReceiptSettlesDelivery(typ), typ)
	}
}
