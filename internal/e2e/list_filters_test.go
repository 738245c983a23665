package e2e_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/devtemporal"
)

// TestSavedListFiltersRunOnTemporal runs every query of the README's table of saved
// views (between the saved-list-filters markers) on the real server: an attribute that
// does not exist, a misspelt name or a keyword of the filter's parser (LEVEL) is an
// error there, as it would be in the Web UI.
func TestSavedListFiltersRunOnTemporal(t *testing.T) {
	t.Parallel()
	root, err := devtemporal.RepoRoot()
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(readme), "<!-- saved-list-filters -->")
	require.True(t, ok, "the README marks its table of saved views")
	table, _, ok = strings.Cut(table, "<!-- /saved-list-filters -->")
	require.True(t, ok)
	queries := regexp.MustCompile("(?m)^\\|[^|]*\\| `([^`]+)` \\|$").FindAllStringSubmatch(table, -1)
	require.GreaterOrEqual(t, len(queries), 8, "the table's rows:\n%s", table)

	c, err := client.Dial(client.Options{HostPort: temporalServer.HostPort(), Namespace: namespace, Logger: sdkLogger})
	require.NoError(t, err)
	defer c.Close()
	views := map[string]bool{}
	for _, q := range queries {
		query := q[1]
		_, err := c.CountWorkflow(t.Context(), &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: query})
		require.NoError(t, err, "the saved view %q", query)
		for _, name := range []string{"HubID", "Ambito", "SchoolLevel", "DeliverNotification", "ComuneOnboarding"} {
			if strings.Contains(query, name) {
				views[name] = true
			}
		}
	}
	// Stuck per hub, overdue per ambito (and level), PEC undelivered, onboarding stalled.
	require.Len(t, views, 5, "the views the supervisors asked for are all there")
}
