package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/store"
)

// Journeys keeps the reunification journeys' projection for the one-stop shop's lists.
type Journeys struct {
	Store  *store.Store
	Policy casework.JourneyPolicy
}

// JourneyPolicy returns the policy new journeys follow; each fixes it when it starts.
func (j *Journeys) JourneyPolicy(context.Context) (casework.JourneyPolicy, error) {
	return j.Policy, nil
}

// JourneyProgress is a journey as its projection shows it. Family, Source, FamilyHash
// and WorkflowID are set by the first report only, which records the journey.
type JourneyProgress struct {
	JourneyID        string
	Seq              int64
	Stage            string
	Escalated        bool
	EscalationReason string                  `json:",omitempty"`
	Deadline         time.Time               `json:",omitzero"`
	ArrivedOn        string                  `json:",omitempty"`
	SupportAreas     []string                `json:",omitempty"`
	Children         []casework.JourneyChild `json:",omitempty"`
	Timeline         []casework.JourneyEvent `json:",omitempty"`

	Source     casework.Org          `json:",omitzero"`
	Family     *reunification.Family `json:",omitempty"`
	FamilyHash string                `json:",omitempty"`
	WorkflowID string                `json:",omitempty"`
}

// SaveJourney writes a journey's progress; an older report than the one stored changes
// nothing, so a retried or late activity never undoes newer state.
func (j *Journeys) SaveJourney(ctx context.Context, p JourneyProgress) error {
	err := j.Store.SaveJourney(store.AsSystem(ctx), store.Journey{
		ID: p.JourneyID, Seq: p.Seq, Stage: p.Stage, Escalated: p.Escalated, EscalationReason: p.EscalationReason,
		Deadline: p.Deadline, ArrivedOn: p.ArrivedOn, SupportAreas: p.SupportAreas, Children: p.Children, Timeline: p.Timeline,
		Source: p.Source.String(), Family: p.Family, FamilyHash: p.FamilyHash, WorkflowID: p.WorkflowID,
	})
	if err != nil {
		return fmt.Errorf("save journey %s: %w", p.JourneyID, err)
	}
	return nil
}
