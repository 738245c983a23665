package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/workflows"
)

// RetentionSchedule is when the retention workflow runs: every day at 03:00 in Rome,
// when nobody works on cases.
var RetentionSchedule = client.ScheduleSpec{
	Calendars:    []client.ScheduleCalendarSpec{{Hour: []client.ScheduleRange{{Start: 3}}, Comment: "daily at 03:00"}},
	TimeZoneName: "Europe/Rome",
}

// EnsureRetentionSchedule makes the Schedule that runs the retention workflow daily on
// taskQueue with in, or, when it exists, brings its action and time up to date (a changed
// RETENTION_PERIOD applies from the next run). Runs never overlap: a run still going when
// the next is due makes it skip.
func EnsureRetentionSchedule(ctx context.Context, c client.Client, taskQueue string, in workflows.RetentionInput) error {
	action := start.Retention(taskQueue, in)
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      start.RetentionScheduleID,
		Spec:    RetentionSchedule,
		Action:  action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "approdo migrate: pseudonymise closed records after RETENTION_PERIOD",
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", start.RetentionScheduleID, err)
	}
	err = c.ScheduleClient().GetHandle(ctx, start.RetentionScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := u.Description.Schedule
			spec := RetentionSchedule
			s.Spec, s.Action = &spec, action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", start.RetentionScheduleID, err)
	}
	return nil
}

// SetNamespaceRetention sets how long Temporal keeps the histories of closed workflows of
// namespace.
func SetNamespaceRetention(ctx context.Context, c client.Client, namespace string, retention time.Duration) error {
	_, err := c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: namespace,
		Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
	})
	if err != nil {
		return fmt.Errorf("set retention of namespace %s to %s: %w", namespace, retention, err)
	}
	return nil
}
