package app

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
)

// IsUnavailable reports whether err means a dependency is down or too slow, which the
// caller can fix by retrying the same request: a 503 or "riprovare", never a 500.
func IsUnavailable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	// A cancelled context means the caller went away; nobody reads the answer, and
	// "unavailable" is the honest one if somebody does.
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &unavailable) || errors.As(err, &deadline)
}

// unavailableOr marks err as ErrUnavailable when it is one, keeping its chain.
func unavailableOr(err error) error {
	if IsUnavailable(err) && !errors.Is(err, ErrUnavailable) {
		return errors.Join(ErrUnavailable, err)
	}
	return err
}
