package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/progress"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// runOnboard starts the onboarding of the comuni named, or of every comune of the
// reference data, and shows how far it has got.
func runOnboard(ctx context.Context, args []string) error {
	cfg, log, pool, err := setupWithDatabase(ctx, "onboard", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	tc, err := dialTemporalSealed(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	return onboardComuni(ctx, os.Stdout, store.New(pool), tc, cfg.TaskQueue, args)
}

// onboardingStarter is the part of the Temporal client that onboarding uses.
type onboardingStarter interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
}

// onboardComuni starts one onboarding per comune; a comune whose onboarding already runs
// or ended is counted and left alone, so the command can be run again after a failure.
// resend, given with explicit ISTAT codes, asks running onboardings to send the
// credentials again.
func onboardComuni(ctx context.Context, out io.Writer, s *store.Store, tc onboardingStarter, taskQueue string, args []string) error {
	resend := false
	if len(args) > 0 && args[0] == "-resend" {
		resend, args = true, args[1:]
	}
	ref, err := s.ReferenceData(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	var all []string
	for _, c := range ref.Comuni {
		known[c.ISTAT] = true
		all = append(all, c.ISTAT)
	}
	targets := args
	if len(targets) == 0 {
		if resend {
			return fmt.Errorf("-resend needs the ISTAT codes of the comuni: %w", errUsage)
		}
		targets = all
	}
	var unknown []string
	for _, istat := range targets {
		if !known[istat] {
			unknown = append(unknown, istat)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("not in the reference data (version %s): %v; nothing was started", ref.Version, unknown)
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)

	var started, running, resent int
	line := progress.NewLine(out, "onboarding", "comuni")
	for i, istat := range targets {
		if resend {
			err := tc.SignalWorkflow(ctx, workflows.OnboardingWorkflowID(istat), "", workflows.SignalResendCredentials, nil)
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) {
				return fmt.Errorf("comune %s has no onboarding running; start it without -resend", istat)
			}
			if err != nil {
				return fmt.Errorf("ask comune %s's onboarding to resend: %w", istat, err)
			}
			resent++
		} else {
			_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID:                       workflows.OnboardingWorkflowID(istat),
				TaskQueue:                taskQueue,
				WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
			}, workflows.OnboardingWorkflowName, workflows.OnboardingInput{Istat: istat})
			var already *serviceerror.WorkflowExecutionAlreadyStarted
			switch {
			case errors.As(err, &already):
				running++
			case err != nil:
				return fmt.Errorf("start the onboarding of comune %s (after %d started): %w", istat, started, err)
			default:
				started++
			}
		}
		line.Update(i+1, len(targets), istat)
	}
	line.Done()
	if resend {
		fmt.Fprintf(out, "Asked %d onboarding(s) to send the credentials again.\n", resent)
		return nil
	}
	fmt.Fprintf(out, "Started %d onboarding(s); %d comuni already had one (running or done).\n", started, running)
	fmt.Fprintf(out, "Follow them in the Temporal UI: WorkflowType = '%s', by Stage.\n", workflows.OnboardingWorkflowName)
	return nil
}
