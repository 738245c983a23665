package devtemporal_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/devtemporal/devtemporaltest"
)

const thirtyDays = 30 * 24 * time.Hour

func binary(t *testing.T) string {
	t.Helper()
	bin, err := devtemporaltest.Binary(context.Background())
	require.NoError(t, err)
	return bin
}

func start(t *testing.T, o devtemporal.Options) *devtemporal.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devtemporal.Start(ctx, o)
	require.NoError(t, err)
	// A failed assertion must not leave the server running.
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	return srv
}

func stop(t *testing.T, srv *devtemporal.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, srv.Stop(ctx))
	require.True(t, processGone(srv.PID()), "the server process is gone after Stop")
}

// dial connects to srv's default namespace and checks that the frontend is healthy.
func dial(t *testing.T, srv *devtemporal.Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: "default"})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	_, err = c.CheckHealth(context.Background(), &client.CheckHealthRequest{})
	require.NoError(t, err)
	return c
}

func retention(t *testing.T, c client.Client) time.Duration {
	t.Helper()
	res, err := c.WorkflowService().DescribeNamespace(context.Background(), &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	return res.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
}

// processGone tells whether pid has ended; on Linux, a zombie that nobody reaped yet (the
// server of a killed parent, before init reaps it) counts as ended.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	if runtime.GOOS != "linux" {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return os.IsNotExist(err)
	}
	// The state follows the command name in parentheses, which may contain spaces.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

func TestServerKeepsItsDatabaseAndAppliesRetentionAtEveryStart(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "temporal.db")
	logFile := filepath.Join(dir, "logs", "temporal.log")
	ctx := context.Background()

	srv := start(t, devtemporal.Options{BinPath: bin, DBFile: dbFile, LogFile: logFile})
	c := dial(t, srv)
	require.Equal(t, thirtyDays, retention(t, c), "the default retention is 30 days")

	res, err := http.Get(srv.UIURL() + "/api/v1/namespaces/default/workflows")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the Web UI answers its own API")

	// A workflow without a worker just waits, which is all this test needs to find it
	// again after a restart.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "kept", TaskQueue: "nobody-polls"}, "Nothing")
	require.NoError(t, err)

	// WAL mode is recorded in the file header (bytes 18 and 19 are 2) and uses a -wal file.
	header := make([]byte, 20)
	f, err := os.Open(dbFile)
	require.NoError(t, err)
	_, err = f.ReadAt(header, 0)
	f.Close()
	require.NoError(t, err)
	require.Equal(t, []byte{2, 2}, header[18:20], "SQLite runs in WAL mode")
	require.FileExists(t, dbFile+"-wal")

	_, err = devtemporal.Start(ctx, devtemporal.Options{BinPath: bin, DBFile: dbFile, Headless: true})
	require.ErrorContains(t, err, "in use by another approdo-devserver", "a second server on the same file fails clearly")

	stop(t, srv)
	require.NoError(t, srv.Stop(ctx), "stopping twice is harmless")
	logged, err := os.ReadFile(logFile)
	require.NoError(t, err)
	require.Contains(t, string(logged), "approdo-devserver: stopping", "the server's stderr goes to LogFile")

	// The same file again, with another retention: the data is still there, and the new
	// retention applies although the namespace already existed.
	srv = start(t, devtemporal.Options{BinPath: bin, DBFile: dbFile, Retention: 45 * 24 * time.Hour, Headless: true})
	require.Empty(t, srv.UIURL(), "a headless server has no UI")
	c = dial(t, srv)
	require.Equal(t, 45*24*time.Hour, retention(t, c))
	desc, err := c.DescribeWorkflowExecution(ctx, "kept", run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
	stop(t, srv)

	// And back: the default applies to the existing namespace too.
	srv = start(t, devtemporal.Options{BinPath: bin, DBFile: dbFile, Headless: true})
	require.Equal(t, thirtyDays, retention(t, dial(t, srv)))
	stop(t, srv)
}

func TestTestServerRunsInMemoryOnFreePorts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devtemporaltest.Start(ctx, devtemporaltest.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })

	require.True(t, strings.HasPrefix(srv.HostPort(), "127.0.0.1:"), srv.HostPort())
	require.Empty(t, srv.UIURL(), "test servers are headless unless asked")
	require.Equal(t, thirtyDays, retention(t, dial(t, srv)))
	stop(t, srv)
}

func TestStartReportsWhyTheServerFailed(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port

	_, err = devtemporal.Start(context.Background(), devtemporal.Options{BinPath: bin, Port: port, Headless: true})
	require.ErrorContains(t, err, "exited during start-up")
	require.ErrorContains(t, err, "frontend gRPC port is taken", "the error carries the server's own explanation")
}

// helperEnv makes TestHelperParent act as a parent process for
// TestServerStopsWhenItsParentDies.
const helperEnv = "DEVTEMPORAL_TEST_HELPER_PARENT"

func TestServerStopsWhenItsParentDies(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux stops a child when its parent dies (Pdeathsig)")
	}
	t.Parallel()
	bin := binary(t)
	parent := exec.Command(os.Args[0], "-test.run=^TestHelperParent$")
	parent.Env = append(os.Environ(), helperEnv+"=1", devtemporaltest.BinEnv+"="+bin)
	out, err := parent.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, parent.Start())
	t.Cleanup(func() { _ = parent.Process.Kill(); _ = parent.Wait() })

	pid := 0
	scanner := bufio.NewScanner(out)
	for pid == 0 && scanner.Scan() {
		if v, ok := strings.CutPrefix(scanner.Text(), "server-pid "); ok {
			pid, err = strconv.Atoi(v)
			require.NoError(t, err)
		}
	}
	require.NotZero(t, pid, "the helper started a server")
	require.False(t, processGone(pid))

	require.NoError(t, parent.Process.Kill())
	_ = parent.Wait()
	require.Eventually(t, func() bool { return processGone(pid) }, 30*time.Second, 100*time.Millisecond,
		"the server ends when its parent is killed")
}

// TestHelperParent is not a test of its own: TestServerStopsWhenItsParentDies runs it in a
// child process, which starts a server and waits to be killed.
func TestHelperParent(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("runs only as the parent process of TestServerStopsWhenItsParentDies")
	}
	srv, err := devtemporaltest.Start(context.Background(), devtemporaltest.Options{})
	require.NoError(t, err)
	_, _ = os.Stdout.WriteString("server-pid " + strconv.Itoa(srv.PID()) + "\n")
	time.Sleep(time.Hour) // until killed
}

func TestBuildLeavesAnUpToDateBinaryAlone(t *testing.T) {
	t.Parallel()
	root, err := devtemporal.RepoRoot()
	require.NoError(t, err)
	bin := devtemporal.DefaultBinPath(root)
	ctx := context.Background()
	// Built already unless the tests were given another binary.
	require.NoError(t, devtemporal.Build(ctx, devtemporal.DevServerModuleDir(root), bin, nil))
	before, err := os.Stat(bin)
	require.NoError(t, err)

	compiled := 0
	require.NoError(t, devtemporal.Build(ctx, devtemporal.DevServerModuleDir(root), bin, func(int, int, string) { compiled++ }))
	after, err := os.Stat(bin)
	require.NoError(t, err)
	require.Zero(t, compiled, "nothing is compiled")
	require.True(t, os.SameFile(before, after), "the binary is not replaced")
	leftovers, err := filepath.Glob(bin + ".tmp-*")
	require.NoError(t, err)
	require.Empty(t, leftovers, "no temporary file is left behind")
}

func TestRepoRootFindsTheRootModule(t *testing.T) {
	t.Parallel()
	root, err := devtemporal.RepoRoot()
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"))
	require.FileExists(t, filepath.Join(devtemporal.DevServerModuleDir(root), "go.mod"))
	require.Equal(t, filepath.Join(root, ".dev", "bin", "approdo-devserver"), devtemporal.DefaultBinPath(root))
}
