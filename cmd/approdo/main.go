// Command approdo runs Approdo's processes:
//
//	approdo api       serve the HTTP API
//	approdo worker    run the Temporal worker (workflows and activities)
//	approdo migrate   apply database migrations and register search attributes
//	approdo refdata import [-comuni F] [-ambiti F] [-pec F] [-schools F]... [-municipi F] FILE
//	                  check a reference data file and its sources and make it the current one
//	approdo dev       run the whole stack on this machine for development
//	approdo prodlike  run it production-shaped: Temporal on PostgreSQL, two workers, two APIs
//	approdo org create ORG NAME, approdo token create ORG -name NAME, approdo token revoke ID
//	                  manage organisations and their API tokens
//
// Configuration comes from environment variables only; the README lists them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: approdo <command>

commands:
  api       serve the HTTP API
  worker    run the Temporal worker
  migrate   apply database migrations and register Temporal search attributes
  refdata import [-comuni ISTAT.csv] [-ambiti T.csv] [-pec ENTI.csv]
                 [-schools REGISTRY.csv]... [-municipi T.csv] FILE
            check a reference data file (comuni, ambiti, Poli START, schools)
            with the public sources applied over it, and make it the current one;
            every error is listed with its file and line, and nothing changes
            unless all is valid
  refdata check [the same flags] FILE
            the same checks, without a database; imports nothing
  dev       run the whole stack locally (PostgreSQL, Temporal + Web UI, worker, API)
  prodlike  run it production-shaped: Temporal on PostgreSQL, two workers and two
            APIs, each a process of its own (see README.md, "make prodlike")
  org create ORG NAME
            register an organisation, e.g. org create cti:21 "CTI Milano"
  token create ORG -name NAME [-role operator|admin] [-ttl 2160h]
            make an API token for an organisation; the secret is printed once
  token revoke ID
            revoke a token at once
  user invite ORG EMAIL -name NAME [-role operator|admin] [-temporary-password]
  user disable EMAIL
            add a person to an organisation: an invitation link, or a temporary
            password that must be changed at the first login
  audit prune
            delete audit log entries older than AUDIT_RETENTION (run it daily)
  onboard comuni [ISTAT ...]
            give comuni their accounts: create each, send its credentials by PEC,
            wait for the delivery receipt and the first login; no ISTAT code means
            every comune of the reference data; a comune already onboarded is skipped
  onboard comuni -resend ISTAT ...
            send the credentials again (e.g. after correcting a PEC address)
  onboard schools|hubs|fami [-contacts FILE] [-resend] [CODE ...]
            the same for the schools (their PEC from the registry), the hubs and
            the FAMI organisations; -h for the details
  bench surge [-n 500] [-c 50] [-overhead 100] [-open N] [-json FILE] [-api URL -stack DIR]
            drive N whole cases through the API, C at a time, and a bare
            Temporal baseline on the same server; compare the API's filing
            with a direct UpdateWithStart; with -open, leave N cases open and
            measure the worker's and the API's memory (README, "Performance")
  faults [-short]
            the fault suite: SIGKILL the worker during a surge (R1), stop
            PostgreSQL, then SMTP, then IMAP (PEC receipts), during one (R2);
            prints lost cases, duplicate notices, mismatches between read
            model and workflows, and PEC receipts unread
  key rotate
            print a new payload key (TEMPORAL_PAYLOAD_KEY) and how to roll it out

Configuration is read from environment variables; see README.md.
`

var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile := startCPUProfile(os.Args[1:])
	err := run(ctx, os.Args[1:])
	stopProfile()
	if err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "approdo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if name, ok := auditedCommand(args); ok {
		return runAudited(ctx, name, args, func() error { return runCommand(ctx, args) })
	}
	return runCommand(ctx, args)
}

// runCommand runs the command args names.
func runCommand(ctx context.Context, args []string) error {
	if len(args) >= 2 && args[0] == "refdata" && (args[1] == "import" || args[1] == "check") {
		// check changes nothing, so it is not an audited command and needs no database.
		return runRefdataImport(ctx, args[1] == "check", args[2:])
	}
	if len(args) >= 1 && args[0] == "faults" {
		return runFaults(ctx, args[1:])
	}
	if len(args) >= 2 {
		switch args[0] + " " + args[1] {
		case "org create":
			return runOrgCreate(ctx, args[2:])
		case "token create":
			return runTokenCreate(ctx, args[2:])
		case "token revoke":
			return runTokenRevoke(ctx, args[2:])
		case "user invite":
			return runUserInvite(ctx, args[2:])
		case "user disable":
			return runUserDisable(ctx, args[2:])
		case "audit prune":
			return runAuditPrune(ctx)
		case "onboard comuni":
			return runOnboard(ctx, args[2:])
		case "onboard schools", "onboard hubs", "onboard fami":
			return runOnboardGroup(ctx, args[1], args[2:])
		case "bench surge":
			return runBench(ctx, args[1:])
		case "key rotate":
			return runKeyRotate(os.Stdout, os.Getenv, args[2:])
		}
	}
	if len(args) != 1 {
		return errUsage
	}
	switch args[0] {
	case "api":
		return runAPI(ctx)
	case "worker":
		return runWorker(ctx)
	case "migrate":
		return runMigrate(ctx)
	case "dev":
		return runDev(ctx)
	case "prodlike":
		return runProdlike(ctx)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	default:
		return errUsage
	}
}
