package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/workflows"
)

// forged is a value that forgingConverter writes unsealed, as a client without the
// payload key would.
type forged struct{ value any }

// noPayload is a signal's argument that forgingConverter writes as no payload at all.
type noPayload struct{}

// forgingConverter seals and opens as the workers do (refusing unsealed payloads), but
// writes a forged value unsealed, and noPayload as nothing: the test environment sends
// signals through it.
type forgingConverter struct{ converter.DataConverter }

func (f forgingConverter) ToPayloads(values ...any) (*commonpb.Payloads, error) {
	if len(values) == 1 {
		switch v := values[0].(type) {
		case forged:
			return converter.GetDefaultDataConverter().ToPayloads(v.value)
		case noPayload:
			return &commonpb.Payloads{}, nil
		}
	}
	return f.DataConverter.ToPayloads(values...)
}

// The SDK tells the worker's converter which workflow it decodes for; the forging one
// passes that on, so that it refuses as the worker's does.
func (f forgingConverter) WithWorkflowContext(ctx converter.WorkflowContext) converter.DataConverter {
	return forgingConverter{f.DataConverter.(converter.ContextAware).WithWorkflowContext(ctx)}
}

func (f forgingConverter) WithContext(ctx context.Context) converter.DataConverter {
	return forgingConverter{f.DataConverter.(converter.ContextAware).WithContext(ctx)}
}

func (f forgingConverter) WithSerializationContext(sc converter.SerializationContext) converter.DataConverter {
	return forgingConverter{converter.WithDataConverterSerializationContext(f.DataConverter, sc)}
}

func sealingConverter(t *testing.T) converter.DataConverter {
	t.Helper()
	codec, err := payloadcrypt.FromSettings(payloadcrypt.Settings{Key: payloadcrypt.NewKey()})
	require.NoError(t, err)
	return forgingConverter{codec.DataConverter()}
}

// A forged receipt, unsealed, is dropped; it must not hold the wait for the receipt past
// its timeout either, or a notice nobody received would never be reported.
func TestAForgedPECReceiptIsIgnored(t *testing.T) {
	t.Parallel()
	r := newDeliveryRun(t, pecSent)
	r.env.SetDataConverter(sealingConverter(t))
	r.env.RegisterDelayedCallback(func() {
		r.env.SignalWorkflow(workflows.SignalPECReceipt, forged{workflows.PECReceiptSignal{Type: "avvenuta-consegna"}})
	}, time.Minute)
	require.NoError(t, r.run(t))
	require.Equal(t, []activities.Outcome{{Reason: activities.ReasonNoReceipt}}, r.outcomes)
	require.Len(t, r.signals, 1, "the case is told the notice was not delivered")
}

// Onboarding's signals carry nothing, and a forged one, unsealed or with no payload, must
// not end it: the comune has not logged in.
func TestForgedOnboardingSignalsAreIgnored(t *testing.T) {
	t.Parallel()
	r := newOnboardingRun(t)
	r.env.SetDataConverter(sealingConverter(t))
	r.env.RegisterDelayedCallback(func() {
		r.env.SignalWorkflow(workflows.SignalFirstLogin, forged{nil})
		r.env.SignalWorkflow(workflows.SignalFirstLogin, noPayload{})
		r.env.SignalWorkflow(workflows.SignalResendCredentials, forged{nil})
		r.env.SignalWorkflow(workflows.SignalResendCredentials, noPayload{})
	}, 24*time.Hour)
	waiting := false
	r.env.RegisterDelayedCallback(func() { waiting = r.query().Stage == workflows.OnboardingAwaitingLogin }, 2*24*time.Hour)
	r.signal(3*24*time.Hour, workflows.SignalFirstLogin) // sealed, as the API sends it
	s := r.run()
	require.True(t, waiting, "a day after the forged signals, the onboarding still waits for the first login")
	require.Equal(t, workflows.OnboardingDone, s.Stage)
	require.Equal(t, []string{"onboarding/015146/default-test-run-id/credentials/1"}, r.issued, "no credentials sent again")
}
