package surge

import (
	"context"
	"sync"
	"sync/atomic"
)

// runPool runs job n times, conc at a time, and tells progress after each run. It stops
// handing out runs once ctx ends; the runs under way finish. The baseline and the cases
// are driven by the same pool, so their figures are comparable.
func runPool(ctx context.Context, n, conc int, progress Progress, job func()) {
	var done atomic.Int64
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				job()
				if progress != nil {
					progress(int(done.Add(1)), n)
				}
			}
		}()
	}
hand:
	for range n {
		select {
		case jobs <- struct{}{}:
		case <-ctx.Done():
			break hand
		}
	}
	close(jobs)
	wg.Wait()
}
