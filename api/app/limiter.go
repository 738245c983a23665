package app

import (
	"sync"
	"time"
)

// limiter allows each key (a client address) a number of attempts per window: it slows
// down password guessing from one place before the per-account lockout stops it.
type limiter struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	now     func() time.Time
	windows map[string]*attempts
}

type attempts struct {
	start time.Time
	count int
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, windows: map[string]*attempts{}}
}

// allow counts an attempt by key and reports whether it is within the limit, and if not,
// how long until it is.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	a, ok := l.windows[key]
	if !ok || now.Sub(a.start) >= l.window {
		// Forget finished windows now and then, so the map does not grow for ever.
		if len(l.windows) > 10000 {
			for k, old := range l.windows {
				if now.Sub(old.start) >= l.window {
					delete(l.windows, k)
				}
			}
		}
		l.windows[key] = &attempts{start: now, count: 1}
		return true, 0
	}
	a.count++
	if a.count > l.max {
		return false, a.start.Add(l.window).Sub(now)
	}
	return true, 0
}

// failureLock counts wrong passwords per key (an account and a client address): max of
// them in a row close the key for lockout, after which it starts again. A failure while
// closed does not prolong the lock, so every lock ends.
type failureLock struct {
	mu      sync.Mutex
	max     int
	lockout time.Duration
	now     func() time.Time
	keys    map[string]*failures
}

type failures struct {
	count       int
	last        time.Time
	lockedUntil time.Time
}

func newFailureLock(max int, lockout time.Duration, now func() time.Time) *failureLock {
	return &failureLock{max: max, lockout: lockout, now: now, keys: map[string]*failures{}}
}

// locked reports whether key is closed now.
func (l *failureLock) locked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[key]
	return ok && l.now().Before(f.lockedUntil)
}

// fail counts a wrong password by key.
func (l *failureLock) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.keys[key]
	if !ok || (now.Sub(f.last) >= l.lockout && !now.Before(f.lockedUntil)) {
		// A key quiet for a lockout's length starts again; forget such keys now and then,
		// so that the map does not grow for ever.
		if len(l.keys) > 10000 {
			for k, old := range l.keys {
				if now.Sub(old.last) >= l.lockout && !now.Before(old.lockedUntil) {
					delete(l.keys, k)
				}
			}
		}
		f = &failures{}
		l.keys[key] = f
	}
	if now.Before(f.lockedUntil) {
		return
	}
	f.count++
	f.last = now
	if f.count >= l.max {
		f.count = 0
		f.lockedUntil = now.Add(l.lockout)
	}
}

// forget clears the failures of key, after a successful login.
func (l *failureLock) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}
