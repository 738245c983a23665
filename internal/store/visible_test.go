package store_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/store"
)

// CaseVisible agrees with GetCase: what GetCase reports missing, CaseVisible reports
// unseen, whether foreign or absent.
func TestCaseVisibleAgreesWithGetCase(t *testing.T) {
	t.Parallel()
	r := setupRLS(t)
	for _, tc := range []struct {
		org, id string
		seen    bool
	}{
		{"comune:015146", r.milano, true},
		{"comune:015209", r.milano, false},
		{cti22.String(), r.milano, false},
		{"comune:015146", uuid.NewString(), false},
		{"", r.milano, false},
	} {
		ctx := store.WithOrg(r.ctx, tc.org)
		seen, err := r.app.CaseVisible(ctx, tc.id)
		require.NoError(t, err)
		require.Equal(t, tc.seen, seen, "%s sees %s", tc.org, tc.id)
		_, err = r.app.GetCase(ctx, tc.id)
		require.Equal(t, !tc.seen, errors.Is(err, store.ErrNotFound), "GetCase by %s", tc.org)
	}
}
