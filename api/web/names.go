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
	mu      sync.Mutex
	names   map[string]string
	fetched time.Time
}

// orgDisplayName names an organisation as a person knows it ("Comune di Milano"), from
// the reference data; by its code when the reference data does not name it, or cannot be
// read now (or there is no store behind the pages, as in the templates' tests).
func (w *Web) orgDisplayName(o casework.Org) string {
	if w.app != nil && w.app.Store() != nil {
		w.names.mu.Lock()
		if time.Since(w.names.fetched) > namesMaxAge {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			names, err := w.app.OrgNames(ctx)
			cancel()
			if err != nil {
				w.log.Warn("organisation names not refreshed; the pages show codes", "error", err)
			} else {
				w.names.names = names
			}
			// A failed read is not retried on every page either.
			w.names.fetched = time.Now()
		}
		name, ok := w.names.names[o.String()]
		w.names.mu.Unlock()
		if ok {
			return name
		}
	}
	return orgName(o)
}
