package app

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/api/serviceerror"
)

// IsUnavailable reports whether err means a dependency is down or too slow, which the
// caller can fix by retrying the same request: a 503 or "riprovare", never a 500.
func IsUnavailable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var exhausted *serviceerror.ResourceExhausted
	// Temporal answers "namespace not found" while its own database is down (its
	// namespace registry cannot be read), as the fault suite's PostgreSQL restart shows;
	// a namespace that is really missing fails the readiness probe as well.
	var namespace *serviceerror.NamespaceNotFound
	// A cancelled context means the caller went away; nobody reads the answer, and
	// "unavailable" is the honest one if somebody does.
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.As(err, &exhausted) || errors.As(err, &namespace) ||
		databaseDown(err)
}

// databaseDown reports whether err is PostgreSQL being unreachable, restarting or
// shutting down, rather than a query's own failure: the connection refused or cut, or
// the server's "connection exception" (08…), "admin/crash shutdown" and "cannot connect
// now" (57P01–57P03) and "too many connections" (53300). The fault suite's PostgreSQL
// restart finds these on the pool's connections right after the server is back.
func databaseDown(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// unavailableOr marks err as ErrUnavailable when it is one, keeping its chain.
func unavailableOr(err error) error {
	if IsUnavailable(err) && !errors.Is(err, ErrUnavailable) {
		return errors.Join(ErrUnavailable, err)
	}
	return err
}
