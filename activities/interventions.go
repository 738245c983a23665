package activities

import (
	"context"
	"fmt"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// Interventions are the activities of the orientation service's anti-dropout
// interventions. Their notices go through Cases.Notify, like an enrolment case's.
type Interventions struct {
	Store *store.Store
	// Policy is what new interventions follow; zero deadlines take the defaults (see
	// casework.InterventionPolicy.WithDefaults).
	Policy casework.InterventionPolicy
}

// InterventionPolicy returns the policy a new intervention follows. The workflow records
// it in its history, so a later change of configuration does not move a running
// intervention's deadlines.
func (i *Interventions) InterventionPolicy(context.Context) (casework.InterventionPolicy, error) {
	return i.Policy.WithDefaults(), nil
}

// SaveIntervention writes how far an intervention has got to the read model. The store
// ignores a write that is not newer than what it holds, so retries and late arrivals are
// harmless.
func (i *Interventions) SaveIntervention(ctx context.Context, p store.InterventionProgress) error {
	if _, err := i.Store.SaveIntervention(store.AsSystem(ctx), p); err != nil {
		return fmt.Errorf("save intervention %s: %w", p.ID, err)
	}
	return nil
}
