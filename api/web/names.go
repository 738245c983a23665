package web

import (
	"context"
	"sync"
	"time"

	"github.com/approdo/approdo/internal/casework"
)

// namesMaxAge is how long the pages name organisations from one reading of the reference
// data: a new import shows within a minute, and a page costs no query for it.
const namesMaxAge = time.Minute

// orgNames caches the organisations' names from the reference data.
type orgNames struct {
	mu         sync.Mutex
	names      map[string]string
	fetched    time.Time
	refreshing bool
}

// orgDisplayName names an organisation as a person knows it ("Comune di Milano"), from
// the reference data; by its code when the reference data does not name it, or cannot be
// read now (or there is no store behind the pages, as in the templates' tests).
func (w *Web) orgDisplayName(o casework.Org) string {
	if w.app != nil && w.app.Store() != nil {
		w.refreshNames()
		w.names.mu.Lock()
		name, ok := w.names.names[o.String()]
		w.names.mu.Unlock()
		if ok {
			return name
		}
	}
	return orgName(o)
}

// refreshNames reads the names again when they are older than namesMaxAge. One page does
// the reading, without holding the lock; the others meanwhile use the names they have (or
// codes, before the first reading).
func (w *Web) refreshNames() {
	n := &w.names
	n.mu.Lock()
	if n.refreshing || time.Since(n.fetched) <= namesMaxAge {
		n.mu.Unlock()
		return
	}
	n.refreshing = true
	n.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	names, err := w.app.OrgNames(ctx)
	cancel()

	n.mu.Lock()
	defer n.mu.Unlock()
	n.refreshing = false
	// A failed read is not retried on every page either.
	n.fetched = time.Now()
	if err != nil {
		w.log.Warn("organisation names not refreshed; the pages show codes", "error", err)
		return
	}
	n.names = names
}
