package app

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFailureLockClosesAKeyForAWhileOnly(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	l := newFailureLock(3, time.Minute, func() time.Time { return now })
	for range 2 {
		l.fail("a|1")
	}
	require.False(t, l.locked("a|1"))
	l.fail("a|1")
	require.True(t, l.locked("a|1"), "the third failure in a row closes the key")
	require.False(t, l.locked("a|2"), "the same account from another address is not closed")
	require.False(t, l.locked("b|1"), "nor another account from the same address")

	now = now.Add(50 * time.Second)
	for range 10 {
		l.fail("a|1")
	}
	now = now.Add(11 * time.Second)
	require.False(t, l.locked("a|1"), "failures while closed do not prolong the lock")

	l.fail("a|1")
	l.forget("a|1")
	l.fail("a|1")
	l.fail("a|1")
	require.False(t, l.locked("a|1"), "a success starts the count again")
}

func TestArgon2HashesAreBoundedAtOnce(t *testing.T) {
	t.Parallel()
	a := NewAuth(&Service{now: time.Now}, AuthSettings{MaxConcurrentHashes: 2})
	var running, most atomic.Int32
	var wg sync.WaitGroup
	hold := make(chan struct{})
	for range 6 {
		wg.Go(func() {
			a.hashes <- struct{}{} // what verify and hash take
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			<-hold
			running.Add(-1)
			<-a.hashes
		})
	}
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, int32(2), running.Load(), "only two hashes run; the rest wait")
	close(hold)
	wg.Wait()
	require.Equal(t, int32(2), most.Load())

	// A waiting login gives up with its request.
	a.hashes <- struct{}{}
	a.hashes <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, a.verify(ctx, "x", dummyHash()), context.DeadlineExceeded)
	_, err := a.hash(ctx, "x")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
