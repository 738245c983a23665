package payloadcrypt

import (
	"context"
	"fmt"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// DataConverter is Temporal's default converter with payloads sealed by c. Unsealed
// payloads are refused (ErrUnsealed), except where c.PlainBefore allows them, in the
// workflows started before the cutoff:
//   - in the workflow's code: its input, signals, queries, the results of its activities
//     and children (the SDK gives the converter the workflow, so its start time);
//   - in its Update handlers and the SDK's own records (the SDK names only the
//     workflow's ID there: this process must have run the workflow's code, which it
//     always has, since that code registers the handlers);
//   - in its activities, when scheduled before the cutoff.
//
// Anywhere the SDK names no workflow at all, unsealed payloads are accepted whenever a
// cutoff is set. A value a workflow expects with no payload at all is refused the same
// way: a client that seals always sends one (nil is sealed too), and the zero value would
// otherwise pass for what nobody sent.
//
// A refused Update is rejected before its validator runs and leaves no history; a refused
// signal is dropped by the SDK with an error in the worker's log ("Corrupted signal"); a
// workflow whose input is refused fails before its code runs.
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
	// workflow is the namespace and ID of the workflow whose payloads these are, when the
	// SDK names it but not its start time: plain is then read from the codec's list of
	// the workflows it saw start before the cutoff.
	workflow string
	// inWorkflow: the payloads are a workflow's, so a value asked for must come with
	// a payload.
	inWorkflow bool
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
	if d.inWorkflow && !d.plainHere() {
		wanted := 0
		for _, v := range valuePtrs {
			if v != nil {
				wanted++
			}
		}
		if n := len(ps.GetPayloads()); n < wanted {
			return fmt.Errorf("%w (%s): %d values expected, %d payloads given: a value sent sealed is never missing", ErrUnsealed, d.where, wanted, n)
		}
	}
	return d.inner.FromPayloads(ps, valuePtrs...)
}

// ToString and ToStrings describe payloads for logs and tools; they refuse nothing.
func (d *dataConverter) ToString(p *commonpb.Payload) string { return d.inner.ToString(p) }

func (d *dataConverter) ToStrings(ps *commonpb.Payloads) []string { return d.inner.ToStrings(ps) }

func (d *dataConverter) plainHere() bool {
	if d.workflow != "" {
		return d.codec.startedBeforeCutoff(d.workflow)
	}
	return d.plain
}

func (d *dataConverter) check(p *commonpb.Payload) error {
	if p == nil || Sealed(p) || d.plainHere() {
		return nil
	}
	if d.codec.plainBefore.IsZero() {
		return fmt.Errorf("%w (%s): payload sealing is on and TEMPORAL_PAYLOAD_PLAIN_BEFORE is not set", ErrUnsealed, d.where)
	}
	return fmt.Errorf("%w (%s): only workflows started before TEMPORAL_PAYLOAD_PLAIN_BEFORE (%s) may hold unsealed payloads",
		ErrUnsealed, d.where, d.codec.plainBefore.UTC().Format(time.RFC3339))
}

// WithWorkflowContext is called by the SDK for what a workflow's code decodes, its input
// first: unsealed payloads are accepted only if the workflow started before the cutoff.
// A workflow's start time is in its history, so a replay decides as the first run did.
func (d *dataConverter) WithWorkflowContext(ctx converter.WorkflowContext) converter.DataConverter {
	info, ok := workflowInfo(ctx)
	if !ok {
		return d
	}
	cp := *d
	if ca, ok := d.inner.(converter.ContextAware); ok {
		cp.inner = ca.WithWorkflowContext(ctx)
	}
	start := info.WorkflowStartTime
	cp.plain = !d.codec.plainBefore.IsZero() && start.Before(d.codec.plainBefore)
	cp.where = "in a workflow started at " + start.UTC().Format(time.RFC3339)
	cp.workflow, cp.inWorkflow = "", true
	if cp.plain {
		d.codec.sawStartBeforeCutoff(workflowKey(info.Namespace, info.WorkflowExecution.ID))
	}
	return &cp
}

// workflowInfo reads the workflow's info, or tells that ctx is no workflow's: the SDK's
// GetInfo panics on a context without a workflow environment.
func workflowInfo(ctx workflow.Context) (info *workflow.Info, ok bool) {
	defer func() {
		if recover() != nil {
			info, ok = nil, false
		}
	}()
	info = workflow.GetInfo(ctx)
	return info, info != nil
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
		cp.workflow, cp.inWorkflow = "", false
	}
	return &cp
}

// WithSerializationContext passes the SDK's serialization context on to the codec
// converter. A workflow's (its Update handlers', its markers', a client's call to it)
// names the workflow but not its start time.
func (d *dataConverter) WithSerializationContext(sc converter.SerializationContext) converter.DataConverter {
	cp := *d
	cp.inner = converter.WithDataConverterSerializationContext(d.inner, sc)
	if w, ok := sc.(converter.WorkflowSerializationContext); ok && w.WorkflowID != "" && !d.inWorkflow {
		cp.workflow, cp.inWorkflow = workflowKey(w.Namespace, w.WorkflowID), true
		cp.where = "for workflow " + w.WorkflowID
	}
	return &cp
}

func workflowKey(namespace, workflowID string) string { return namespace + "/" + workflowID }

// startedBefore lists the workflows this process saw start before the cutoff (their
// code decoded its input), by namespace and ID. Only those are kept, so it holds no more
// than the workflows of before sealing, and none when no cutoff is set.
type startedBefore struct{ ids sync.Map }

func (c *Codec) sawStartBeforeCutoff(key string) {
	c.started.ids.Store(key, struct{}{})
}

func (c *Codec) startedBeforeCutoff(key string) bool {
	if c.plainBefore.IsZero() {
		return false
	}
	_, ok := c.started.ids.Load(key)
	return ok
}
