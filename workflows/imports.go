package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/searchattr"
)

// FamilyImportWorkflowName is the registered name of the import of a bulk file of
// families: it opens their journeys in batches and shows how far it has got.
const FamilyImportWorkflowName = "FamilyImport"

// StartImportedJourneysActivity is the activity that opens the journeys of one batch. It
// is called by name: its package starts journeys through the Temporal client and so
// depends on this one.
const StartImportedJourneysActivity = "StartImportedJourneys"

// importBatch is how many families one activity opens: small enough to finish well
// within its timeout, large enough that a big file needs few activities.
const importBatch = 50

// The stages of an import, in the Stage search attribute.
const (
	ImportRunning = "importing"
	ImportDone    = "imported"
)

// QueryImportProgress returns an import's ImportProgress.
const QueryImportProgress = "progress"

// FamilyImportInput starts an import (and carries its progress across continue-as-new).
type FamilyImportInput struct {
	ImportID string
	Source   casework.Org
	Families int
	Started  int
}

// ImportProgress is how far an import has got.
type ImportProgress struct {
	Families int
	Started  int
}

// ImportBatch asks the activity to open the journeys of Size families from From.
type ImportBatch struct {
	ImportID string
	Source   casework.Org
	From     int
	Size     int
	Families int
}

// ImportBatchResult is where the import stands after a batch.
type ImportBatchResult struct {
	Started int
}

// FamilyImportWorkflow opens the journeys of an imported file's valid families.
func FamilyImportWorkflow(ctx workflow.Context, in FamilyImportInput) (ImportProgress, error) {
	progress := func() ImportProgress { return ImportProgress{Families: in.Families, Started: in.Started} }
	if err := workflow.SetQueryHandler(ctx, QueryImportProgress, func() (ImportProgress, error) { return progress(), nil }); err != nil {
		return progress(), err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, searchattr.Stage.ValueSet(ImportRunning)); err != nil {
		return progress(), err
	}
	actx := workflow.WithActivityOptions(ctx, durableActivity)
	for in.Started < in.Families {
		var r ImportBatchResult
		err := workflow.ExecuteActivity(actx, StartImportedJourneysActivity, ImportBatch{
			ImportID: in.ImportID, Source: in.Source, From: in.Started, Size: importBatch, Families: in.Families,
		}).Get(ctx, &r)
		if err != nil {
			return progress(), err
		}
		if r.Started <= in.Started {
			return progress(), temporal.NewNonRetryableApplicationError("the import made no progress", "ImportStuck", nil)
		}
		in.Started = r.Started
		if in.Started < in.Families && workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return progress(), workflow.NewContinueAsNewError(ctx, FamilyImportWorkflowName, in)
		}
	}
	return progress(), workflow.UpsertTypedSearchAttributes(ctx, searchattr.Stage.ValueSet(ImportDone))
}
