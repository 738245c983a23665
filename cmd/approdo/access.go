package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// runOrgCreate is `approdo org create ORG NAME`.
func runOrgCreate(ctx context.Context, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: approdo org create ORG NAME (ORG is e.g. comune:015146, cti:21, polo_start:polo-1, school:MIIC90001A, ust)")
	}
	org, err := casework.ParseOrg(args[0])
	if err != nil {
		return err
	}
	_, _, pool, err := setupWithDatabase(ctx, "org", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.New(pool).CreateOrganisation(ctx, org, args[1]); err != nil {
		return err
	}
	fmt.Printf("Organisation %s (%s) is registered.\n", org, args[1])
	return nil
}

// runTokenCreate is `approdo token create ORG [-name N] [-role R] [-ttl D]`.
func runTokenCreate(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("token create", flag.ContinueOnError)
	name := flags.String("name", "", "what the token is for, e.g. the software that uses it (required)")
	role := flags.String("role", store.RoleOperator, "operator or admin")
	ttl := flags.Duration("ttl", 90*24*time.Hour, "how long the token is valid")
	if len(args) < 1 {
		return fmt.Errorf("usage: approdo token create ORG -name NAME [-role operator|admin] [-ttl 2160h]")
	}
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("-name is required: say what the token is for")
	}
	org, err := casework.ParseOrg(args[0])
	if err != nil {
		return err
	}
	_, _, pool, err := setupWithDatabase(ctx, "token", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	tok, secret, err := store.New(pool).CreateToken(ctx, org, *name, *role, *ttl)
	if err != nil {
		return err
	}
	fmt.Printf("Token %s for %s, valid until %s. Keep the secret below: it is not shown again.\n%s\n",
		tok.ID, org, tok.ExpiresAt.Format(time.RFC3339), secret)
	return nil
}

// runTokenRevoke is `approdo token revoke ID`.
func runTokenRevoke(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: approdo token revoke ID")
	}
	_, _, pool, err := setupWithDatabase(ctx, "token", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.New(pool).RevokeToken(ctx, args[0]); err != nil {
		return err
	}
	fmt.Printf("Token %s is revoked.\n", args[0])
	return nil
}

// demoOrganisations are the organisations the dev stack gives a token to, one per kind
// of user, all within the sample reference data.
var demoOrganisations = []struct {
	env  string
	org  casework.Org
	name string
}{
	{"APPRODO_TOKEN_UST", casework.UST, "UST Milano (demo)"},
	{"APPRODO_TOKEN_COMUNE", casework.Org{Kind: casework.OrgComune, Code: "015146"}, "Comune di Milano (demo)"},
	{"APPRODO_TOKEN_POLO", casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}, "Polo START 1 (demo)"},
	{"APPRODO_TOKEN_CTI", casework.Org{Kind: casework.OrgCTI, Code: "22"}, "CTI Nord (demo)"},
	{"APPRODO_TOKEN_SCHOOL_A", casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}, "IC Esempio Milano Centro (demo)"},
	{"APPRODO_TOKEN_SCHOOL_B", casework.Org{Kind: casework.OrgSchool, Code: "MIIC90002A"}, "IC Esempio via Padova (demo)"},
}

// seedDemoTokens gives each demo organisation a new token, valid for a day, and writes
// them to dir/demo-tokens.env for the shell. The previous demo tokens are revoked: only
// the ones printed now work.
func seedDemoTokens(ctx context.Context, out io.Writer, s *store.Store, dir string) (string, error) {
	if err := s.RevokeTokensNamed(ctx, demoTokenName); err != nil {
		return "", err
	}
	var env strings.Builder
	env.WriteString("# Demo tokens of the dev stack, one per kind of organisation; renewed at every start.\n")
	for _, d := range demoOrganisations {
		if err := s.CreateOrganisation(ctx, d.org, d.name); err != nil {
			return "", err
		}
		_, secret, err := s.CreateToken(ctx, d.org, demoTokenName, store.RoleOperator, 24*time.Hour)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&env, "export %s=%s  # %s\n", d.env, secret, d.org)
	}
	path := filepath.Join(dir, "demo-tokens.env")
	if err := os.WriteFile(path, []byte(env.String()), 0o600); err != nil {
		return "", fmt.Errorf("write demo tokens: %w", err)
	}
	fmt.Fprintf(out, "Demo tokens (one per organisation kind, valid 24 h) written to %s.\n", path)
	return path, nil
}

const demoTokenName = "dev stack demo"

// runAuditPrune is `approdo audit prune`: it deletes the audit entries older than
// AUDIT_RETENTION. Run it daily (cron, systemd timer); the dev stack runs it at start.
func runAuditPrune(ctx context.Context) error {
	cfg, _, pool, err := setupWithDatabase(ctx, "audit", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	return pruneAuditLog(ctx, os.Stdout, store.New(pool), cfg.AuditRetention)
}

func pruneAuditLog(ctx context.Context, out io.Writer, s *store.Store, retention time.Duration) error {
	before := time.Now().Add(-retention)
	n, err := s.PruneAuditLog(ctx, before)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Audit log: %d entries older than %s deleted (retention %s).\n", n, before.Format(time.DateOnly), retention)
	return nil
}
