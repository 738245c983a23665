package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/approdo/approdo/internal/store"
)

// Retention pseudonymises closed records and deletes what is no longer needed, for the
// retention workflow.
type Retention struct {
	Store *store.Store
}

// RetentionBatch asks for up to Rows rows closed before Before to be pseudonymised, Size
// of each kind per transaction.
type RetentionBatch struct {
	Before time.Time
	Rows   int
	Size   int
}

// PseudonymiseClosed pseudonymises up to in.Rows closed rows of each kind, in
// transactions of in.Size, heartbeating the counts so far. Rows already done are skipped,
// so a retry or a second run repeats nothing; a zero Total means none is left.
func (r *Retention) PseudonymiseClosed(ctx context.Context, in RetentionBatch) (store.Pseudonymised, error) {
	if in.Size <= 0 || in.Rows <= 0 {
		return store.Pseudonymised{}, fmt.Errorf("pseudonymise: batch of %d rows in transactions of %d", in.Rows, in.Size)
	}
	sys := store.AsSystem(ctx)
	var done store.Pseudonymised
	for done.Total() < in.Rows {
		n, err := r.Store.PseudonymiseClosed(sys, in.Before, min(in.Size, in.Rows-done.Total()))
		if err != nil {
			return done, err
		}
		if n.Total() == 0 {
			break
		}
		done = done.Add(n)
		activity.RecordHeartbeat(ctx, done)
	}
	return done, nil
}

// PurgeRetention deletes the raw PEC messages and account messages older than before,
// and the sessions and password links expired or spent at now.
func (r *Retention) PurgeRetention(ctx context.Context, before, now time.Time) (store.Purged, error) {
	return r.Store.PurgeRetention(store.AsSystem(ctx), before, now)
}
