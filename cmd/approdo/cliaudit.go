package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strings"

	"github.com/approdo/approdo/internal/store"
)

// auditedCommands are the commands that change who may do what, or the reference data,
// or the audit log itself: each is written to the audit log like a request to the API,
// before it runs (a command whose entry cannot be written does not run) and with its
// outcome after.
var auditedCommands = map[string]bool{
	"refdata import": true, "org create": true, "token create": true, "token revoke": true,
	"user invite": true, "user disable": true, "audit prune": true, "onboard comuni": true, "onboard schools": true, "onboard hubs": true, "onboard fami": true,
}

// auditedCommand reports whether args is an audited command, and its name.
func auditedCommand(args []string) (string, bool) {
	if len(args) < 2 {
		return "", false
	}
	name := args[0] + " " + args[1]
	if slices.ContainsFunc(args[2:], func(a string) bool { return a == "-h" || a == "-help" || a == "--help" }) {
		return name, false // asks for the usage: changes nothing, needs no database
	}
	return name, auditedCommands[name]
}

// runAudited records the command in the audit log, runs it and records its outcome.
func runAudited(ctx context.Context, name string, args []string, do func() error) error {
	_, _, pool, err := setupWithDatabase(ctx, "audit", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	return auditCommand(ctx, store.New(pool), cliActor(), name, args, do)
}

// auditCommand writes the entry of a command of the CLI before and after running do.
// The entries have the organisation "system", the actor "cli:<login name>", the
// client address "cli", and the command's arguments as the subject (names, codes and
// addresses, never a secret: secrets are printed, not passed in).
func auditCommand(ctx context.Context, s *store.Store, actor, name string, args []string, do func() error) error {
	entry := store.AuditEntry{
		Actor: actor, Action: "cli " + name, RequestID: fmt.Sprintf("cli-%d", os.Getpid()),
		Outcome: "started", ClientAddress: "cli", Subject: strings.Join(args[2:], " "),
	}
	sys := store.AsSystem(ctx)
	if err := s.RecordAudit(sys, entry); err != nil {
		return fmt.Errorf("%s not run: %w", name, err)
	}
	runErr := do()
	entry.Outcome = "ok"
	if runErr != nil {
		entry.Outcome = "error"
	}
	if err := s.RecordAudit(context.WithoutCancel(sys), entry); err != nil {
		fmt.Fprintf(os.Stderr, "approdo: the outcome of %s was not written to the audit log: %v\n", name, err)
	}
	return runErr
}

// cliActor names who runs the command: the operating system's login name.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli:uid-" + fmt.Sprint(os.Getuid())
}
