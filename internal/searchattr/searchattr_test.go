package searchattr_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/approdo/approdo/internal/searchattr"
)

// SQL visibility gives a namespace a fixed number of slots per type: one attribute too
// many and `approdo migrate` fails on a real cluster.
func TestKeywordAttributesFitSQLVisibility(t *testing.T) {
	t.Parallel()
	keywords := 0
	for _, typ := range searchattr.All() {
		if typ == enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			keywords++
		}
	}
	require.Equal(t, 7, keywords, "Stage, ComuneIstat, HubID, SchoolCode, Origin, Ambito, SchoolLevel")
	require.LessOrEqual(t, keywords, searchattr.KeywordSlots)
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, searchattr.All()["Ambito"])
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, searchattr.All()["SchoolLevel"])
}
