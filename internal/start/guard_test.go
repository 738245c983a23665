package start_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// startOptionLiterals are what building start options by hand looks like, from outside
// Temporal (a client, a Schedule) or from a workflow (a child).
var startOptionLiterals = []string{
	"client.StartWorkflowOptions{",
	"UpdateWithStartWorkflowOptions{",
	"client.ScheduleWorkflowAction{",
	"workflow.ChildWorkflowOptions{",
}

// allowedElsewhere are the files outside this package that may still build start
// options, each with its reason.
var allowedElsewhere = map[string]string{
	// The bare baseline workflow of the surge benchmark is not one of Approdo's
	// workflows: it measures what a direct client call costs, so it makes that call.
	"internal/surge/baseline.go": "benchmark baseline",
}

// TestNoOtherPlaceBuildsStartOptions fails when a non-test Go file outside this package
// builds the options of a workflow start or of a child workflow itself: such a start could use another ID or
// policy than its starter, and the two would disagree on what a second start does.
func TestNoOtherPlaceBuildsStartOptions(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	var offenders []string
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || name == "vendor" || rel == "internal/start") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		if _, ok := allowedElsewhere[rel]; ok {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for _, lit := range startOptionLiterals {
			if strings.Contains(string(data), lit) {
				offenders = append(offenders, rel+": "+lit)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, checked, 100, "the walk found the module's Go files")
	require.Empty(t, offenders, "start workflows through package start (internal/start)")
}
