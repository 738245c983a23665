package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/password"
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
	{"APPRODO_TOKEN_PREFETTURA", casework.Org{Kind: casework.OrgPrefettura, Code: "milano"}, "Prefettura di Milano, Sportello Unico (demo)"},
	{"APPRODO_TOKEN_SPORTELLO", casework.Org{Kind: casework.OrgOneStopShop, Code: "milano"}, "Sportello unico per le famiglie, Comune di Milano (demo)"},
	{"APPRODO_TOKEN_ORIENTAMENTO", casework.Orientation, "Cerco Offro Scuola, orientamento (demo)"},
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

// runUserInvite is `approdo user invite ORG EMAIL -name NAME [-role R] [-temporary-password]`.
// By default the user gets a single-use link (valid a week) to choose a password; with
// -temporary-password, a random password to send by PEC, which must be changed at the
// first login.
func runUserInvite(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("user invite", flag.ContinueOnError)
	name := flags.String("name", "", "the person's name (required)")
	role := flags.String("role", store.RoleOperator, "operator or admin")
	temporary := flags.Bool("temporary-password", false, "make a temporary password instead of an invitation link")
	if len(args) < 2 {
		return fmt.Errorf("usage: approdo user invite ORG EMAIL -name NAME [-role operator|admin] [-temporary-password]")
	}
	if err := flags.Parse(args[2:]); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("-name is required")
	}
	org, err := casework.ParseOrg(args[0])
	if err != nil {
		return err
	}
	_, _, pool, err := setupWithDatabase(ctx, "user", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	return inviteUser(ctx, os.Stdout, store.New(pool), org, args[1], *name, *role, *temporary)
}

// runUserDisable is `approdo user disable EMAIL`: the person can no longer log in, every
// session ends at once, unused invitation and reset links die, and the tokens the person
// made are revoked.
func runUserDisable(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: approdo user disable EMAIL")
	}
	_, _, pool, err := setupWithDatabase(ctx, "user", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	return disableUser(ctx, os.Stdout, store.New(pool), args[0])
}

func disableUser(ctx context.Context, out io.Writer, s *store.Store, email string) error {
	user, err := s.DisableUserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no user has the address %s", email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s (%s, %s) is disabled since %s: sessions ended, links and tokens revoked.\n",
		user.Email, user.Name, user.Organisation, user.DisabledAt.Format(time.RFC3339))
	return nil
}

func inviteUser(ctx context.Context, out io.Writer, s *store.Store, org casework.Org, email, name, role string, temporary bool) error {
	user, err := s.CreateUser(ctx, org, email, name, role)
	if err != nil {
		return err
	}
	if temporary {
		secret := make([]byte, 12)
		if _, err := rand.Read(secret); err != nil {
			return err
		}
		pw := base64.RawURLEncoding.EncodeToString(secret)
		hash, err := password.Hash(pw)
		if err != nil {
			return err
		}
		if err := s.SetTemporaryPassword(ctx, user.ID, hash); err != nil {
			return err
		}
		fmt.Fprintf(out, "User %s of %s created. Temporary password (send it by PEC; it must be changed at the first login):\n%s\n", user.Email, org, pw)
		return nil
	}
	token, err := s.CreatePasswordToken(ctx, user.ID, store.PurposeInvitation, 7*24*time.Hour)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "User %s of %s invited. Give them this single-use token (valid 7 days):\n%s\n"+
		"The user sets a password with POST /api/v1/auth/password/set {\"token\": …, \"newPassword\": …}.\n"+
		"(Invitations made through the API by an organisation's admin are emailed.)\n", user.Email, org, token.Secret)
	return nil
}

// demoPassword is the password of the dev stack's demo users: a development machine only.
const demoPassword = "approdo-demo-2026"

// demoLogin is a demo user the dev banner lists, to log in to the portal with.
type demoLogin struct {
	Organisation, Role, Email string
}

// seedDemoUsers makes one demo user per demo organisation (operators) and a UST admin,
// all with demoPassword, and returns them for the banner.
func seedDemoUsers(ctx context.Context, s *store.Store) ([]demoLogin, error) {
	hash, err := password.Hash(demoPassword)
	if err != nil {
		return nil, err
	}
	var logins []demoLogin
	for i, d := range demoOrganisations {
		for _, role := range []string{store.RoleOperator, store.RoleAdmin} {
			if role == store.RoleAdmin && i != 0 {
				continue
			}
			email := strings.ToLower(fmt.Sprintf("%s.%s@demo.approdo.invalid", strings.NewReplacer(":", "-", "_", "-").Replace(d.org.String()), role))
			user, err := s.UserByEmail(ctx, email)
			if errors.Is(err, store.ErrNotFound) {
				user, err = s.CreateUser(ctx, d.org, email, d.name, role)
			}
			if err != nil {
				return nil, err
			}
			if err := s.SetPassword(ctx, user.ID, hash, ""); err != nil {
				return nil, err
			}
			logins = append(logins, demoLogin{Organisation: d.name, Role: role, Email: email})
		}
	}
	return logins, nil
}
