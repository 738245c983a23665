package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", which goose needs.
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationResult reports one applied migration.
type MigrationResult struct {
	Version int64
	Source  string
}

// Migrate applies every pending migration to the database at databaseURL. It is safe to run
// concurrently from several processes: goose takes a PostgreSQL advisory lock.
func Migrate(ctx context.Context, databaseURL string) error {
	_, err := MigrateReport(ctx, databaseURL)
	return err
}

// MigrateReport is Migrate, returning which migrations it applied.
func MigrateReport(ctx context.Context, databaseURL string) ([]MigrationResult, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database for migrations: %w", err)
	}
	defer db.Close()

	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open embedded migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("create migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, dir, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	applied := make([]MigrationResult, 0, len(results))
	for _, r := range results {
		applied = append(applied, MigrationResult{Version: r.Source.Version, Source: r.Source.Path})
	}
	return applied, nil
}
