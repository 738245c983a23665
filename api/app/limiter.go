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
