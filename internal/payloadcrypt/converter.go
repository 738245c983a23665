package payloadcrypt

import (
	"context"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// DataConverter is Temporal's default converter with payloads sealed by c. Unsealed
// payloads are refused (ErrUnsealed), except where c.PlainBefore allows them:
//   - in a workflow (its input, signals, Updates, queries, the results of its activities
//     and children), when the workflow started before the cutoff;
//   - in an activity, when the activity was scheduled before it;
//   - elsewhere (a client's results and query answers, and the few places where the SDK
//     gives no context), whenever a cutoff is set.
//
// A refused Update is rejected before its validator runs and leaves no history; a refused
// signal is dropped by the SDK with an error in the worker's log ("Corrupted signal").
func (c *Codec) DataConverter() converter.DataConverter {
	return &dataConverter{
		inner: converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c),
		codec: c,
		plain: !c.plainBefore.IsZero(),
		where: "outside a workflow",
	}
}

// dataConverter checks payloads before handing them to the codec converter, and learns
// from the SDK which workflow or activity it converts for.
type dataConverter struct {
	inner converter.DataConverter
	codec *Codec
	plain bool   // unsealed payloads are accepted here
	where string // what "here" is, for the refusal's message
}

var (
	_ converter.ContextAware                          = (*dataConverter)(nil)
	_ converter.DataConverterWithSerializationContext = (*dataConverter)(nil)
)

func (d *dataConverter) ToPayload(value any) (*commonpb.Payload, error) {
	return d.inner.ToPayload(value)
}

func (d *dataConverter) ToPayloads(values ...any) (*commonpb.Payloads, error) {
	return d.inner.ToPayloads(values...)
}

func (d *dataConverter) FromPayload(p *commonpb.Payload, valuePtr any) error {
	if err := d.check(p); err != nil {
		return err
	}
	return d.inner.FromPayload(p, valuePtr)
}

func (d *dataConverter) FromPayloads(ps *commonpb.Payloads, valuePtrs ...any) error {
	for _, p := range ps.GetPayloads() {
		if err := d.check(p); err != nil {
			return err
		}
	}
	return d.inner.FromPayloads(ps, valuePtrs...)
}

// ToString and ToStrings describe payloads for logs and tools; they refuse nothing.
func (d *dataConverter) ToString(p *commonpb.Payload) string { return d.inner.ToString(p) }

func (d *dataConverter) ToStrings(ps *commonpb.Payloads) []string { return d.inner.ToStrings(ps) }

func (d *dataConverter) check(p *commonpb.Payload) error {
	if p == nil || Sealed(p) || d.plain {
		return nil
	}
	if d.codec.plainBefore.IsZero() {
		return fmt.Errorf("%w (%s): payload sealing is on and TEMPORAL_PAYLOAD_PLAIN_BEFORE is not set", ErrUnsealed, d.where)
	}
	return fmt.Errorf("%w (%s): only workflows started before TEMPORAL_PAYLOAD_PLAIN_BEFORE (%s) may hold unsealed payloads",
		ErrUnsealed, d.where, d.codec.plainBefore.UTC().Format(time.RFC3339))
}

// WithWorkflowContext is called by the SDK for what a workflow decodes: unsealed payloads
// are accepted only if the workflow started before the cutoff. A workflow's start time is
// in its history, so a replay decides as the first run did.
func (d *dataConverter) WithWorkflowContext(ctx converter.WorkflowContext) converter.DataConverter {
	start, ok := workflowStart(ctx)
	if !ok {
		return d
	}
	cp := *d
	if ca, ok := d.inner.(converter.ContextAware); ok {
		cp.inner = ca.WithWorkflowContext(ctx)
	}
	cp.plain = !d.codec.plainBefore.IsZero() && start.Before(d.codec.plainBefore)
	cp.where = "in a workflow started at " + start.UTC().Format(time.RFC3339)
	return &cp
}

// workflowStart reads the workflow's start time, or tells that ctx is no workflow's: the
// SDK's GetInfo panics on a context without a workflow environment.
func workflowStart(ctx workflow.Context) (start time.Time, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	info := workflow.GetInfo(ctx)
	if info == nil {
		return time.Time{}, false
	}
	return info.WorkflowStartTime, true
}

// WithContext is called by the SDK for an activity's arguments and heartbeat details (the
// activity's context), and for a client's calls (a plain context, which changes nothing).
// An activity's arguments were written when it was first scheduled.
func (d *dataConverter) WithContext(ctx context.Context) converter.DataConverter {
	cp := *d
	if ca, ok := d.inner.(converter.ContextAware); ok {
		cp.inner = ca.WithContext(ctx)
	}
	if activity.IsActivity(ctx) {
		scheduled := activity.GetInfo(ctx).ScheduledTime
		cp.plain = !d.codec.plainBefore.IsZero() && scheduled.Before(d.codec.plainBefore)
		cp.where = "in an activity scheduled at " + scheduled.UTC().Format(time.RFC3339)
	}
	return &cp
}

// WithSerializationContext passes the SDK's serialization context on to the codec
// converter, keeping the refusal.
func (d *dataConverter) WithSerializationContext(sc converter.SerializationContext) converter.DataConverter {
	cp := *d
	cp.inner = converter.WithDataConverterSerializationContext(d.inner, sc)
	return &cp
}
