package app

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
)

// PostgreSQL down or restarting is "unavailable" (503, retry), a query's own failure is
// not (500, a bug).
func TestDatabaseDownIsUnavailable(t *testing.T) {
	for _, err := range []error{
		&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"},
		&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"},
		&pgconn.PgError{Code: "08006"},
		&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
		fmt.Errorf("read case: %w", io.ErrUnexpectedEOF),
		serviceerror.NewNamespaceNotFound("approdo"),
	} {
		require.True(t, IsUnavailable(fmt.Errorf("look up comune: %w", err)), "%v", err)
	}
	for _, err := range []error{
		&pgconn.PgError{Code: "23505", Message: "duplicate key"},
		&pgconn.PgError{Code: "42P01", Message: "relation does not exist"},
		errors.New("something else"),
	} {
		require.False(t, IsUnavailable(err), "%v", err)
	}
}
