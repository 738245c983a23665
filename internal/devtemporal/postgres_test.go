package devtemporal_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/pgcluster"
)

// TestServerOnPostgresMakesItsSchemasAndKeepsItsData runs the server on PostgreSQL: the
// first start creates both databases and their schemas with Temporal's schema tool, a
// restart finds the data and the namespace again, and visibility answers List Filters.
func TestServerOnPostgresMakesItsSchemasAndKeepsItsData(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	ctx := context.Background()
	dir, err := os.MkdirTemp(pgcluster.TempDir(), "devtemporal-pg-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755)) // for the postgres user, when we are root
	port, err := devtemporal.FreePort("127.0.0.1")
	require.NoError(t, err)
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(dir, "data"), Port: port, Ephemeral: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cluster.Stop(context.Background()) })
	pg := &devtemporal.Postgres{Host: "127.0.0.1", Port: port, User: "postgres", Database: "t_main", VisibilityDatabase: "t_vis"}

	_, err = devtemporal.Start(ctx, devtemporal.Options{BinPath: bin, Headless: true, DBFile: filepath.Join(dir, "x.db"), Postgres: pg})
	require.ErrorContains(t, err, "exclude each other", "SQLite and PostgreSQL at once is refused")

	srv := start(t, devtemporal.Options{BinPath: bin, Headless: true, Postgres: pg})
	c := dial(t, srv)
	require.Equal(t, thirtyDays, retention(t, c))
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "kept", TaskQueue: "nobody-polls"}, "Nothing")
	require.NoError(t, err)
	for _, db := range []string{"t_main", "t_vis"} {
		conn, err := pgx.Connect(ctx, cluster.URL(db))
		require.NoError(t, err)
		var version string
		require.NoError(t, conn.QueryRow(ctx, "SELECT curr_version FROM schema_version").Scan(&version))
		conn.Close(ctx)
		require.NotEmpty(t, version, "the schema tool recorded %s's version", db)
	}
	stop(t, srv)

	// Again, on the same databases: the schema tool finds them up to date, the
	// workflow is still there, and a new retention applies to the existing namespace.
	srv = start(t, devtemporal.Options{BinPath: bin, Headless: true, Postgres: pg, Retention: 45 * 24 * time.Hour})
	c = dial(t, srv)
	require.Equal(t, 45*24*time.Hour, retention(t, c))
	desc, err := c.DescribeWorkflowExecution(ctx, "kept", run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
	require.Eventually(t, func() bool {
		res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: "WorkflowId = 'kept' AND ExecutionStatus = 'Running'"})
		return err == nil && len(res.GetExecutions()) == 1
	}, 20*time.Second, 200*time.Millisecond, "visibility on PostgreSQL answers a List Filter")
	stop(t, srv)
}
