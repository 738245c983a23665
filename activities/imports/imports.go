// Package imports opens the journeys of a bulk file of families, one batch at a time, for
// the FamilyImport workflow. It is apart from package activities because it starts the
// journeys' workflows, and so depends on package workflows.
package imports

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// Imports starts the journeys of imported families.
type Imports struct {
	Store     *store.Store
	Temporal  client.Client
	TaskQueue string
}

// StartImportedJourneys opens the journeys of one batch. A family whose journey exists
// with the same content is already done; one whose reference was used for different
// content is a conflict, recorded on the import and not opened. Repeating a batch is safe.
func (i *Imports) StartImportedJourneys(ctx context.Context, b workflows.ImportBatch) (workflows.ImportBatchResult, error) {
	sys := store.AsSystem(ctx)
	families, err := i.Store.ImportedFamilies(sys, b.ImportID, b.From, b.Size)
	if err != nil {
		return workflows.ImportBatchResult{}, err
	}
	var conflicts []string
	for _, f := range families {
		id, err := i.Store.JourneyIDFor(sys, b.Source, f.Reference)
		if err != nil {
			return workflows.ImportBatchResult{}, err
		}
		hash := f.Hash()
		j, err := i.Store.JourneyByID(sys, id)
		switch {
		case err == nil:
			if j.FamilyHash != hash {
				conflicts = append(conflicts, f.Reference)
			}
			continue
		case !errors.Is(err, store.ErrNotFound):
			return workflows.ImportBatchResult{}, err
		}
		_, err = start.Journey(i.TaskQueue, id, f.Sponsor.Comune).Execute(ctx, i.Temporal,
			workflows.JourneyInput{JourneyID: id, Source: b.Source, FamilyHash: hash, Family: f})
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if err != nil && !errors.As(err, &started) {
			return workflows.ImportBatchResult{}, fmt.Errorf("open a journey of import %s: %w", b.ImportID, err)
		}
	}
	done := b.From + len(families)
	if err := i.Store.NoteImportProgress(sys, b.ImportID, done, conflicts, done >= b.Families); err != nil {
		return workflows.ImportBatchResult{}, err
	}
	return workflows.ImportBatchResult{Started: done}, nil
}
