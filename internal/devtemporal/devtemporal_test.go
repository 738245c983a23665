package devtemporal_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/searchattr"
)

func binary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("APPRODO_DEVSERVER_BIN"); bin != "" {
		return bin
	}
	root, err := devtemporal.RepoRoot()
	require.NoError(t, err)
	bin := devtemporal.DefaultBinPath(root)
	require.NoError(t, devtemporal.Build(context.Background(), filepath.Join(root, "deploy", "devserver"), bin, nil))
	return bin
}

func start(t *testing.T, o devtemporal.Options) *devtemporal.Server {
	t.Helper()
	var err error
	o.Port, err = devtemporal.FreePort("127.0.0.1")
	require.NoError(t, err)
	o.UIPort, err = devtemporal.FreePort("127.0.0.1")
	require.NoError(t, err)
	srv, err := devtemporal.Start(context.Background(), o)
	require.NoError(t, err)
	return srv
}

func stop(t *testing.T, srv *devtemporal.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, srv.Stop(ctx))
}

func retention(t *testing.T, srv *devtemporal.Server) time.Duration {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: srv.HostPort()})
	require.NoError(t, err)
	defer c.Close()
	res, err := c.WorkflowService().DescribeNamespace(context.Background(), &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	return res.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
}

// searchAttributes registers Approdo's search attributes, as every start of the dev stack
// does, and returns the custom attributes the namespace then has.
func searchAttributes(t *testing.T, srv *devtemporal.Server) map[string]enumspb.IndexedValueType {
	t.Helper()
	ctx := context.Background()
	c, err := client.Dial(client.Options{HostPort: srv.HostPort()})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, searchattr.Ensure(ctx, c, "default"))
	res, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	return res.GetCustomAttributes()
}

func TestServerKeepsItsDataAndAppliesRetentionAtEveryStart(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	dbFile := filepath.Join(t.TempDir(), "temporal.db")

	srv := start(t, devtemporal.Options{BinPath: bin, DBFile: dbFile, Retention: 30 * 24 * time.Hour})
	require.Equal(t, 30*24*time.Hour, retention(t, srv))
	attrs := searchAttributes(t, srv)
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, attrs["Stage"])
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, attrs["Comune"])
	res, err := http.Get(srv.UIURL() + "/api/v1/namespaces/default/workflows")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the Web UI answers its own API")
	_, err = os.Stat(dbFile + "-wal")
	require.NoError(t, err, "SQLite runs in WAL mode")
	stop(t, srv)
	require.NoError(t, srv.Stop(context.Background()), "stopping twice is harmless")

	// The same file again, with another retention: the namespace is still there, and the
	// new retention applies although the namespace already existed.
	srv = start(t, devtemporal.Options{BinPath: bin, DBFile: dbFile, Retention: 45 * 24 * time.Hour, Headless: true})
	defer stop(t, srv)
	require.Equal(t, 45*24*time.Hour, retention(t, srv))
	require.Equal(t, attrs, searchAttributes(t, srv), "registering again on an existing namespace changes nothing and fails nothing")
	require.Empty(t, srv.UIURL(), "a headless server has no UI")
}

func TestStartReportsWhyTheServerFailed(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	_, err := devtemporal.Start(context.Background(), devtemporal.Options{BinPath: bin, Port: 1, Headless: true, Retention: time.Hour})
	require.Error(t, err)
	require.Contains(t, err.Error(), "retention must be at least 24h", "the error carries the end of the server's log")
}
