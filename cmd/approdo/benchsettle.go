package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
)

// settleLimit bounds the wait for a surge's notices after its last case is accepted.
const settleLimit = 10 * time.Minute

// unsettledNoticesSQL counts the notices of the given cases that have not reached their
// end: an email not yet handed to the server, a PEC whose delivery receipt has not been
// recorded by its DeliverNotification workflow (the last thing that workflow does), and
// neither refused. A case is whole only then: its notices are part of the work the
// baseline's six activities stand for, and a run that stopped the clock at the school's
// acceptance would leave that work out (or, with notices deferred behind cases, hide it).
const unsettledNoticesSQL = `SELECT count(*) FROM notification
	WHERE case_id = ANY($1::uuid[]) AND undelivered IS NULL
	  AND CASE WHEN channel = 'pec' THEN delivered_at IS NULL ELSE sent_at IS NULL END`

// waitNoticesSettled waits until every notice of caseIDs has settled, printing how many
// are left every few seconds, and returns when that was, measured from start. It gives
// up after settleLimit and returns the notices still unsettled.
func waitNoticesSettled(ctx context.Context, out io.Writer, ownerURL string, caseIDs []string, start time.Time) (time.Duration, int, error) {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(settleLimit)
	var lastPrint time.Time
	for {
		var left int
		if err := conn.QueryRow(ctx, unsettledNoticesSQL, caseIDs).Scan(&left); err != nil {
			return 0, 0, fmt.Errorf("count the notices not settled: %w", err)
		}
		if left == 0 {
			return time.Since(start), 0, nil
		}
		if time.Now().After(deadline) {
			return time.Since(start), left, nil
		}
		if time.Since(lastPrint) >= 2*time.Second {
			fmt.Fprintf(out, "  %d notices of the cases not settled yet (email sent, PEC receipt recorded)\n", left)
			lastPrint = time.Now()
		}
		select {
		case <-ctx.Done():
			return 0, left, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
