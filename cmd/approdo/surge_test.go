package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/devtemporal/devtemporaltest"
)

// TestSurgeBenchAndFaultsShort runs, on one production-shaped stack (one worker, one
// API, Temporal on PostgreSQL, each a process), the surge benchmark on a handful of
// cases, then the short fault suite: R1 (the worker SIGKILLed 3 times during 30 cases)
// and R2's PostgreSQL restart, SMTP outage and IMAP outage. It asserts the invariants only (nothing lost, nothing
// sent twice, the read model equal to the workflows, 503 problem+json while the database
// is down), never a time or a rate.
func TestSurgeBenchAndFaultsShort(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	bin, err := devtemporaltest.Binary(ctx)
	require.NoError(t, err)
	dir := t.TempDir()
	var out bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("output:\n%s", out.String())
		}
		if t.Failed() {
			for _, name := range []string{"worker-1", "api-1"} {
				if data, err := os.ReadFile(filepath.Join(dir, "logs", name+".log")); err == nil {
					t.Logf("--- %s.log (end) ---\n%s", name, lastLines(string(data), 15))
					for _, line := range strings.Split(string(data), "\n") {
						if strings.Contains(line, `"level":"ERROR"`) {
							t.Logf("%s: %s", name, line)
						}
					}
				}
			}
		}
	})
	p, err := startProdlike(ctx, prodlikeOptions{
		Approdo:      []string{os.Args[0]},
		ApprodoEnv:   []string{actAsApprodoEnv + "=1", "LOG_LEVEL=info"},
		DevServerBin: bin, Dir: dir,
		RefdataFile: filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"),
		APIPorts:    []int{0}, Workers: 1, HeadlessTemporal: true, Ephemeral: true,
		Out: &out,
	})
	require.NoError(t, err)
	s, err := prodlikeStack(ctx, p)
	require.NoError(t, err)
	t.Cleanup(s.close)

	t.Run("bench surge, a few cases", func(t *testing.T) {
		r, err := benchSurge(ctx, &out, s, surgeOptions{N: 3, C: 3, BaselineN: 3, Sample: 3, Overhead: 3, Open: 4})
		require.NoError(t, err)
		require.Equal(t, 3, r.Completed, out.String())
		require.Zero(t, r.BaselineFailed)
		require.Positive(t, r.CasesPerSecond)
		require.Positive(t, r.Ratio)
		// The clock runs until the cases' notices have settled, not only to the last
		// acceptance.
		require.Zero(t, r.UnsettledNotices, out.String())
		require.GreaterOrEqual(t, r.SettledSeconds, r.ElapsedSeconds)
		require.LessOrEqual(t, r.CasesPerSecond, r.AcceptedPerSecond)
		require.Equal(t, 3, r.Filing.Count-r.Refused["503"]-r.Refused["network"], "one answered filing per case")
		require.Equal(t, 3, r.Events.Sampled)
		require.Greater(t, r.Events.Own, 10.0, "a case's workflow has a history")
		require.Greater(t, r.BaselineEvents, 10.0)
		for _, name := range []string{"worker", "api"} {
			require.Positive(t, r.Memory[name].PeakMiB, name)
		}
		// P4: both kinds of filing were measured, side by side.
		require.NotNil(t, r.Overhead)
		require.Equal(t, 3, r.Overhead.API.Count, "%+v", r.Overhead)
		require.Equal(t, 3, r.Overhead.Direct.Count, "%+v", r.Overhead)
		require.Positive(t, r.Overhead.RatioP99)
		// P3: the open cases were filed, routed and left waiting for the hub.
		require.NotNil(t, r.Open)
		require.Equal(t, 4, r.Open.Filed)
		require.Equal(t, 4, r.Open.Routed)
		require.GreaterOrEqual(t, r.Open.OpenInTotal, 4+3, "the open cases and the overhead phase's")
		require.Positive(t, r.Open.WorkerPlusAPIPeakMiB)
		require.Equal(t, 500, r.Open.StickyCacheSize, "the worker's sticky cache, as it logged it (WORKER_STICKY_CACHE_SIZE's default)")
		var printed bytes.Buffer
		printSurgeReport(&printed, r)
		require.Contains(t, printed.String(), "cases/s")
		require.Contains(t, printed.String(), "filing overhead")
		require.Contains(t, printed.String(), "sticky cache 500")
	})

	t.Run("R1 and R2: worker kills, PostgreSQL restart, SMTP and IMAP outages", func(t *testing.T) {
		r1, err := workerKills(ctx, &out, s, shortFaults)
		require.NoError(t, err)
		r1.print(&out)
		require.Equal(t, shortFaults.Kills, r1.Kills)
		require.Equal(t, r1.Cases, r1.Completed, "%+v", r1)
		require.Zero(t, r1.Lost, "%+v", r1)
		require.Zero(t, r1.Mismatched, "%+v", r1)
		require.Zero(t, r1.Unsent, "%+v", r1)
		// No notice twice: an email notice a kill cut short is looked for in the mail
		// archive before it is sent again (README "The fault suite").
		require.Zero(t, r1.Duplicates, "%+v", r1)
		require.Empty(t, r1.Problems, "%+v", r1)
		require.True(t, r1.ok(), "%+v", r1)

		r2, err := postgresRestart(ctx, &out, s, shortFaults)
		require.NoError(t, err)
		r2.print(&out)
		require.NotEmpty(t, r2.DownAnswers, "the API was asked while PostgreSQL was down")
		require.Zero(t, r2.WrongDownAnswers, "%+v", r2)
		require.Equal(t, r2.Cases, r2.Completed, "%+v", r2)
		require.Zero(t, r2.Lost, "%+v", r2)
		require.Zero(t, r2.Mismatched, "%+v", r2)
		require.Zero(t, r2.Unsent, "%+v", r2)
		// A notice the server took while PostgreSQL went down, which could not be
		// recorded, is found in the mail archive, not sent again.
		require.Zero(t, r2.Duplicates, "%+v", r2)
		require.True(t, r2.ok(), "%+v", r2)

		r3, err := smtpOutage(ctx, &out, s, shortFaults)
		require.NoError(t, err)
		r3.print(&out)
		require.True(t, r3.ok(), "%+v", r3)

		r4, err := imapOutage(ctx, &out, s, shortFaults)
		require.NoError(t, err)
		r4.print(&out)
		require.True(t, r4.ok(), "%+v %+v", r4, r4.PEC)
		require.Positive(t, r4.PEC.Notices)
		require.Positive(t, r4.PEC.SentWhileDown, "some PEC notices left while IMAP was down: their receipts waited for it")
		require.Positive(t, r4.PEC.FailedPolls, "the poller noticed the outage")
		require.GreaterOrEqual(t, r4.PEC.ReceiptsReadAfter, r4.PEC.SentWhileDown, "the receipts that waited were read once IMAP was back")
	})
}
