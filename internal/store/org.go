package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// orgKey carries the caller's organisation in a context.
type orgKey struct{}

// System is the organisation the worker acts as: it writes every case.
const System = "system"

// WithOrg returns a context in which the store acts for org, in its stored form
// ("cti:21", "ust", …). PostgreSQL's row-level security then shows only the cases org may
// see; see migration 00005.
func WithOrg(ctx context.Context, org string) context.Context {
	return context.WithValue(ctx, orgKey{}, org)
}

// AsSystem returns a context in which the store acts for the worker.
func AsSystem(ctx context.Context) context.Context { return WithOrg(ctx, System) }

func orgOf(ctx context.Context) string {
	org, _ := ctx.Value(orgKey{}).(string)
	return org
}

// inOrg runs fn in a transaction that names the caller's organisation to PostgreSQL. A
// context without one names nobody, and on a pool opened with OpenApp sees no case.
func (s *Store) inOrg(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('approdo.org', $1, true)", orgOf(ctx)); err != nil {
			return fmt.Errorf("name the caller: %w", err)
		}
		return fn(tx)
	})
}

// queryInOrg runs one read-only query as the caller's organisation, like inOrg, in one
// round trip instead of four (begin, naming the caller, the query, commit): pgx sends the
// naming and the query as one batch, which PostgreSQL runs as one implicit transaction
// (one Sync), so the local setting holds for the query and ends with it. On the shared
// 2-core machine under load each round trip could wait for a core, and a list's p99 was
// up to 14 times the query's own. planCacheMode is PostgreSQL's plan_cache_mode for the
// query, set the same way (see list.go). collect reads the rows.
func (s *Store) queryInOrg(ctx context.Context, planCacheMode, sql string, args pgx.NamedArgs, collect func(pgx.Rows) error) error {
	b := &pgx.Batch{}
	b.Queue("SELECT set_config('approdo.org', $1, true), set_config('plan_cache_mode', $2, true)", orgOf(ctx), planCacheMode)
	b.Queue(sql, args)
	br := s.pool.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return fmt.Errorf("name the caller: %w", err)
	}
	rows, err := br.Query()
	if err == nil {
		err = collect(rows)
	}
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	return err
}

// inOrgAs is inOrg acting for org, whatever the context names: for the methods that take
// the organisation they act for as an argument (an admin's, a comune's being onboarded).
func (s *Store) inOrgAs(ctx context.Context, org string, fn func(tx pgx.Tx) error) error {
	return s.inOrg(WithOrg(ctx, org), fn)
}

// AppRole is the PostgreSQL role the API and the worker act as: it cannot bypass
// row-level security.
const AppRole = "approdo_app"

// OpenApp is Open for the API and the worker: every connection acts as AppRole, so
// row-level security applies to all they read and write, whoever the login user is.
func OpenApp(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("configure database pool: %w", err)
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SET ROLE "+AppRole)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("configure database pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database as %s: %w", AppRole, err)
	}
	return pool, nil
}

// AppLogin is the login role the dev stack and the tests connect the API and the worker
// with: a member of AppRole, neither superuser nor owner, so that not even a RESET ROLE
// gets past row-level security. Production creates its own (see the README).
const AppLogin = "approdo_api"

// AppLoginURL makes sure AppLogin exists (it needs the owner's URL) and returns ownerURL
// with AppLogin as its user. It suits clusters that trust local connections, as the dev
// stack's and the tests' do; elsewhere the operator creates the role with a password.
func AppLoginURL(ctx context.Context, ownerURL string) (string, error) {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return "", fmt.Errorf("connect as owner: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+AppLogin+`') THEN
        CREATE ROLE `+AppLogin+` LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE IN ROLE `+AppRole+`;
    END IF;
END
$$`)
	var pgErr *pgconn.PgError
	// Two processes may create it at the same moment; the loser finds it made (a unique
	// violation in the catalogue, or "role already exists", depending on the timing).
	if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42710")) {
		return "", fmt.Errorf("create login role %s: %w", AppLogin, err)
	}
	u, err := url.Parse(ownerURL)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("the database URL must be a postgres:// URL to derive the application's")
	}
	u.User = url.User(AppLogin)
	return u.String(), nil
}
