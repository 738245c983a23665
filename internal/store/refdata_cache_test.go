package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/store"
)

// The reference data is cached per Store, keyed by the current import: another process
// (here another Store on the same database) that imports new data is seen by the next
// call, and an unchanged import keeps the cached dataset.
func TestReferenceDataCacheSeesAReimport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	importer := store.New(b.pool) // another process: its own cache, the same database
	d := sampleReferenceData(t)
	_, err := importer.ReplaceReferenceData(b.ctx, d, "sha-1")
	require.NoError(t, err)

	first, err := b.store.ReferenceData(b.ctx)
	require.NoError(t, err)
	require.Len(t, first.Schools, len(d.Schools))
	again, err := b.store.ReferenceData(b.ctx)
	require.NoError(t, err)
	require.Same(t, first, again, "no new import: the cached dataset is handed out")

	unchanged, err := importer.ReplaceReferenceData(b.ctx, d, "sha-1")
	require.NoError(t, err)
	require.True(t, unchanged.Unchanged)
	again, err = b.store.ReferenceData(b.ctx)
	require.NoError(t, err)
	require.Same(t, first, again, "an import that wrote nothing keeps the cache")

	smaller := *d
	smaller.Schools = smaller.Schools[:1]
	smaller.Version = "v2"
	_, err = importer.ReplaceReferenceData(b.ctx, &smaller, "sha-2")
	require.NoError(t, err)
	got, err := b.store.ReferenceData(b.ctx)
	require.NoError(t, err)
	require.Equal(t, "v2", got.Version, "the new import is seen at the next call")
	require.Len(t, got.Schools, 1)
	require.Len(t, first.Schools, len(d.Schools), "a dataset already handed out is not changed under its reader")

	// Back to the first file: a third import, with the hash of the first, is new too.
	_, err = importer.ReplaceReferenceData(b.ctx, d, "sha-1")
	require.NoError(t, err)
	got, err = b.store.ReferenceData(b.ctx)
	require.NoError(t, err)
	require.Len(t, got.Schools, len(d.Schools))
	require.NotSame(t, first, got)
}
