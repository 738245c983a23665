package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/store"
)

func TestFamilyImportIsRecordedOnceAndItsProgressOnlyGrows(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	sender := store.WithOrg(context.Background(), "prefettura:milano")
	worker := store.AsSystem(context.Background())
	families := []reunification.Family{{Reference: "A"}, {Reference: "B"}, {Reference: "C"}}
	imp := store.FamilyImport{ID: uuid.NewString(), Source: "prefettura:milano", Filename: "f.csv", SHA256: "abc", Lines: 4, Rejected: json.RawMessage(`[]`)}

	created, err := app.CreateFamilyImport(sender, imp, families)
	require.NoError(t, err)
	require.True(t, created)
	created, err = app.CreateFamilyImport(sender, imp, families)
	require.NoError(t, err)
	require.False(t, created, "the same file again is the same import")

	_, err = app.CreateFamilyImport(store.WithOrg(context.Background(), "prefettura:roma"),
		store.FamilyImport{ID: uuid.NewString(), Source: "prefettura:milano", Filename: "x", SHA256: "def", Rejected: json.RawMessage(`[]`)}, nil)
	require.Error(t, err, "nobody records an import in another's name")

	batch, err := app.ImportedFamilies(worker, imp.ID, 1, 5)
	require.NoError(t, err)
	require.Equal(t, []string{"B", "C"}, []string{batch[0].Reference, batch[1].Reference})
	none, err := app.ImportedFamilies(sender, imp.ID, 0, 5)
	require.NoError(t, err)
	require.Empty(t, none, "the families wait for the worker only")

	require.NoError(t, app.NoteImportProgress(worker, imp.ID, 2, []string{"B"}, false))
	require.NoError(t, app.NoteImportProgress(worker, imp.ID, 1, []string{"B"}, false))
	require.NoError(t, app.NoteImportProgress(worker, imp.ID, 3, nil, true))
	got, err := app.FamilyImportByID(sender, imp.ID)
	require.NoError(t, err)
	require.Equal(t, 3, got.Families)
	require.Equal(t, 3, got.Started, "progress never goes back")
	require.True(t, got.Done)
	require.Equal(t, []string{"B"}, got.Conflicts, "a conflict is listed once")

	_, err = app.FamilyImportByID(store.WithOrg(context.Background(), "comune:015146"), imp.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = app.FamilyImportByID(store.WithOrg(context.Background(), "one_stop_shop:milano"), imp.ID)
	require.NoError(t, err, "the one-stop shop follows the imports")
}
