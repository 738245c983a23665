package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"

	"github.com/approdo/approdo/internal/onboarding"
	"github.com/approdo/approdo/internal/progress"
	"github.com/approdo/approdo/internal/start"
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
	start.Executor
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
			err := tc.SignalWorkflow(ctx, start.OnboardingID(istat), "", workflows.SignalResendCredentials, nil)
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) {
				return fmt.Errorf("comune %s has no onboarding running; start it without -resend", istat)
			}
			if err != nil {
				return fmt.Errorf("ask comune %s's onboarding to resend: %w", istat, err)
			}
			resent++
		} else {
			// One running, or ended other than by failing, makes the start fail: counted.
			_, err := start.Onboarding(taskQueue, istat).Execute(ctx, tc, workflows.OnboardingInput{Istat: istat})
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
	fmt.Fprintf(out, "Follow them in the Temporal UI: WorkflowType = '%s', by Stage.\n", start.OnboardingName)
	return nil
}

// onboardGroupUsage is what `approdo onboard schools|hubs|fami -h` prints.
const onboardGroupUsage = `usage: approdo onboard schools|hubs|fami [-contacts FILE] [CODE ...]
       approdo onboard schools|hubs|fami -resend CODE ...

Give organisations their accounts: create each, send its credentials by PEC, wait
for the delivery receipt and the first login (UST follows them in the portal,
"Onboarding"). Run it again to onboard the ones added since: those already
onboarded, or being onboarded, are skipped (no second account, no second PEC).

  schools  every school of the reference data, at its PEC from the registry
  hubs     the CTI of each ambito and the Poli START, at their host school's
           institutional email (its PEC is the school's own login)
  fami     the Prefettura, the one-stop shop and the orientation service: not in
           the reference data, so each needs a line in -contacts

CODE names some of them (MIIC8AB00X, or school:MIIC8AB00X); none means all.
An organisation with no address (no PEC in the registry, no contact) needs a
named contact: it is listed and skipped. Schools sharing a PEC (a managing
body's) each get their own account, logging in with their codice meccanografico,
and their own credentials at the shared address.

flags:
`

// runOnboardGroup onboards the schools, the hubs or the FAMI organisations.
func runOnboardGroup(ctx context.Context, group string, args []string) error {
	opts, err := parseOnboardGroupFlags(group, args, os.Stderr)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	if err != nil {
		return err
	}
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
	return onboardGroup(ctx, os.Stdout, store.New(pool), tc, cfg.TaskQueue, opts)
}

// onboardGroupOptions are the flags and arguments of approdo onboard schools|hubs|fami.
type onboardGroupOptions struct {
	group    onboarding.Group
	contacts onboarding.Contacts
	resend   bool
	codes    []string
}

func parseOnboardGroupFlags(group string, args []string, stderr io.Writer) (onboardGroupOptions, error) {
	var opts onboardGroupOptions
	g, err := onboarding.ParseGroup(group)
	if err != nil {
		return opts, err
	}
	opts.group = g
	fs := flag.NewFlagSet("onboard "+group, flag.ContinueOnError)
	fs.SetOutput(stderr)
	contacts := fs.String("contacts", "", "a CSV `FILE` of named contacts, org,email[,name] a line (e.g. school:MIIC8AB00X,dirigente@example.org,IC Rossi); they replace the registry's address")
	fs.BoolVar(&opts.resend, "resend", false, "send new credentials (a new temporary password) to the organisations named, whose onboarding runs")
	fs.Usage = func() {
		fmt.Fprint(stderr, onboardGroupUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return opts, errHelpShown
		}
		return opts, err
	}
	opts.codes = fs.Args()
	if opts.resend && len(opts.codes) == 0 {
		return opts, fmt.Errorf("-resend needs the organisations to send to, e.g. MIIC8AB00X")
	}
	if *contacts != "" {
		f, err := os.Open(*contacts)
		if err != nil {
			return opts, err
		}
		defer f.Close()
		if opts.contacts, err = onboarding.ReadContacts(f, *contacts); err != nil {
			return opts, err
		}
	}
	return opts, nil
}

// errHelpShown is returned after -h printed the usage: nothing more to say.
var errHelpShown = errors.New("help shown")

// onboardGroup starts the onboardings of a group, showing progress, or asks the running
// onboardings named to send new credentials.
func onboardGroup(ctx context.Context, out io.Writer, s *store.Store, tc onboardingStarter, taskQueue string, opts onboardGroupOptions) error {
	ref, err := s.ReferenceData(ctx)
	if err != nil {
		return err
	}
	plan, err := onboarding.PlanGroup(ref, opts.group, opts.contacts, opts.codes)
	if err != nil {
		return err
	}
	if opts.resend {
		for _, t := range plan.Targets {
			err := tc.SignalWorkflow(ctx, start.OrgOnboardingID(t.Org), "", workflows.SignalResendCredentials, nil)
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) {
				return fmt.Errorf("%s has no onboarding running; start it without -resend", t.Org)
			}
			if err != nil {
				return fmt.Errorf("ask the onboarding of %s to resend: %w", t.Org, err)
			}
		}
		fmt.Fprintf(out, "Asked %d onboarding(s) to send new credentials.\n", len(plan.Targets))
		return nil
	}
	if n := len(plan.Shared); n > 0 {
		// Said before the progress, so that whoever watches knows why several
		// credentials go to one address.
		fmt.Fprintf(out, "%d schools share %d PEC addresses (a managing body's): each gets its own account, logging in with its codice meccanografico, and its own credentials, naming it, at the shared address.\n", plan.SharedSchools(), n)
	}
	line := progress.NewLine(out, "onboarding", string(opts.group))
	res, err := onboarding.Start(ctx, tc, taskQueue, plan.Targets, func(done int, t onboarding.Target) {
		line.Update(done, len(plan.Targets), t.Org.String())
	})
	line.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Started %d onboarding(s); %d already had one (running or done), skipped.\n", res.Started, res.Already)
	if n := len(plan.NoAddress); n > 0 {
		names := make([]string, 0, n)
		for _, o := range plan.NoAddress {
			names = append(names, o.String())
		}
		fmt.Fprintf(out, "%d need a named contact (no PEC in the registry, no contact), skipped: %s\n", n, strings.Join(names, " "))
		fmt.Fprintln(out, "Give them a contact with -contacts FILE and run the command again.")
	}
	fmt.Fprintf(out, "Follow them in the portal (Onboarding) or the Temporal UI: WorkflowType = '%s', by Stage.\n", start.OrgOnboardingName)
	return nil
}
