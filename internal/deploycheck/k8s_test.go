package deploycheck

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
)

// podTemplate is a pod template with the name of what holds it, for the messages.
type podTemplate struct {
	where string
	spec  corev1.PodSpec
}

func (m manifests) podTemplates() []podTemplate {
	var pods []podTemplate
	for _, d := range m.deployments {
		pods = append(pods, podTemplate{m.from[d], d.Spec.Template.Spec})
	}
	for _, j := range m.jobs {
		pods = append(pods, podTemplate{m.from[j], j.Spec.Template.Spec})
	}
	for _, j := range m.cronJobs {
		pods = append(pods, podTemplate{m.from[j], j.Spec.JobTemplate.Spec.Template.Spec})
	}
	return pods
}

func (m manifests) deployment(name string) *appsv1.Deployment {
	for _, d := range m.deployments {
		if d.Name == name {
			return d
		}
	}
	return nil
}

func (m manifests) configMap(name string) *corev1.ConfigMap {
	for _, c := range m.configMaps {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (m manifests) secret(name string) *corev1.Secret {
	for _, s := range m.secrets {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// environment is what a container's process finds in its environment, from its envFrom
// ConfigMaps and Secrets and its env (secret references as "secret:<name>/<key>").
func (m manifests) environment(t *testing.T, where string, c corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		require.Empty(t, from.Prefix, where)
		switch {
		case from.ConfigMapRef != nil:
			cm := m.configMap(from.ConfigMapRef.Name)
			require.NotNil(t, cm, "%s: ConfigMap %s is in deploy/k8s", where, from.ConfigMapRef.Name)
			for k, v := range cm.Data {
				env[k] = v
			}
		case from.SecretRef != nil:
			s := m.secret(from.SecretRef.Name)
			require.NotNil(t, s, "%s: Secret %s is in deploy/k8s", where, from.SecretRef.Name)
			for k := range s.StringData {
				env[k] = "secret:" + s.Name + "/" + k
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s := m.secret(ref.Name)
			require.NotNil(t, s, "%s: Secret %s is in deploy/k8s", where, ref.Name)
			require.Contains(t, s.StringData, ref.Key, "%s: Secret %s has the key %s", where, ref.Name, ref.Key)
			env[e.Name] = "secret:" + ref.Name + "/" + ref.Key
		default:
			env[e.Name] = "(from the pod)"
		}
	}
	return env
}

func TestManifestsHoldWhatAnOperatorNeeds(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	for _, name := range []string{"approdo-api", "approdo-worker", "approdo-worker-pec"} {
		require.NotNil(t, m.deployment(name), name)
	}
	require.Len(t, m.jobs, 1)
	require.Equal(t, []string{"migrate"}, m.jobs[0].Spec.Template.Spec.Containers[0].Args)
	require.Len(t, m.cronJobs, 1)
	prune := m.cronJobs[0]
	require.Equal(t, []string{"audit", "prune"}, prune.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args, "the audit log is pruned daily")
	require.Equal(t, batchv1.ForbidConcurrent, prune.Spec.ConcurrencyPolicy)
	pruneEnv := m.environment(t, m.from[prune], prune.Spec.JobTemplate.Spec.Template.Spec.Containers[0])
	require.Equal(t, "secret:approdo-database/owner-url", pruneEnv["DATABASE_URL"], "the CLI's commands log in as the owner")
	require.Len(t, m.hpas, 1)
	require.Len(t, m.services, 1)
	require.GreaterOrEqual(t, len(m.pdbs), 2)
	require.NotEmpty(t, m.configMaps)
	require.NotEmpty(t, m.secrets)
}

// Every pod runs as a non-root user, with no way to gain privileges, a read-only root
// filesystem, every capability dropped, bounded CPU and memory, and no Kubernetes API
// token it has no use for.
func TestEveryPodIsLockedDown(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	for _, pod := range m.podTemplates() {
		where, spec := pod.where, pod.spec
		require.NotNil(t, spec.AutomountServiceAccountToken, where)
		require.False(t, *spec.AutomountServiceAccountToken, "%s: no service account token", where)
		require.False(t, spec.HostNetwork || spec.HostPID || spec.HostIPC, where)
		psc := spec.SecurityContext
		require.NotNil(t, psc, where)
		require.NotNil(t, psc.RunAsNonRoot, where)
		require.True(t, *psc.RunAsNonRoot, "%s: runAsNonRoot", where)
		require.NotNil(t, psc.RunAsUser, where)
		require.NotZero(t, *psc.RunAsUser, "%s: a numeric non-root user, which runAsNonRoot can verify", where)
		require.NotNil(t, psc.SeccompProfile, where)
		require.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, psc.SeccompProfile.Type, where)

		require.NotEmpty(t, spec.Containers, where)
		for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			where := where + " container " + c.Name
			sc := c.SecurityContext
			require.NotNil(t, sc, where)
			require.NotNil(t, sc.AllowPrivilegeEscalation, where)
			require.False(t, *sc.AllowPrivilegeEscalation, "%s: allowPrivilegeEscalation false", where)
			require.NotNil(t, sc.ReadOnlyRootFilesystem, where)
			require.True(t, *sc.ReadOnlyRootFilesystem, "%s: readOnlyRootFilesystem", where)
			require.False(t, sc.Privileged != nil && *sc.Privileged, where)
			require.False(t, sc.RunAsUser != nil && *sc.RunAsUser == 0, where)
			require.NotNil(t, sc.Capabilities, where)
			require.Contains(t, sc.Capabilities.Drop, corev1.Capability("ALL"), "%s: every capability dropped", where)
			require.Empty(t, sc.Capabilities.Add, where)

			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, hasReq := c.Resources.Requests[r]
				lim, hasLim := c.Resources.Limits[r]
				require.True(t, hasReq && hasLim, "%s: %s request and limit", where, r)
				require.False(t, req.IsZero() || lim.IsZero(), where)
				require.LessOrEqual(t, req.Cmp(lim), 0, "%s: %s request within its limit", where, r)
			}

			ref := c.Image
			require.NotEmpty(t, ref, where)
			last := ref[strings.LastIndex(ref, "/")+1:]
			require.True(t, strings.Contains(last, ":") || strings.Contains(ref, "@sha256:"), "%s: image %s pinned by tag or digest", where, ref)
			require.False(t, strings.HasSuffix(ref, ":latest"), "%s: image %s", where, ref)
			require.Equal(t, corev1.PullIfNotPresent, c.ImagePullPolicy, where)
			// The image's entrypoint is the binary (ko and deploy/image/Dockerfile alike);
			// the subcommand comes as an argument.
			require.Empty(t, c.Command, where)
			require.NotEmpty(t, c.Args, where)
		}

		// Secret files must be readable by the non-root user: either by everyone, or by
		// the pod's fsGroup, which Kubernetes gives them.
		for _, v := range spec.Volumes {
			if v.Secret == nil {
				continue
			}
			mode := int32(0o644)
			if v.Secret.DefaultMode != nil {
				mode = *v.Secret.DefaultMode
			}
			if mode&0o004 == 0 {
				require.NotNil(t, psc.FSGroup, "%s: volume %s (mode %o) is readable only through fsGroup", where, v.Name, mode)
				require.NotZero(t, mode&0o040, "%s: volume %s readable by its group", where, v.Name)
			}
		}
	}
}

// processOf is the approdo subcommand a Deployment runs.
func processOf(t *testing.T, where string, d *appsv1.Deployment) (corev1.Container, string) {
	t.Helper()
	require.Len(t, d.Spec.Template.Spec.Containers, 1, where)
	c := d.Spec.Template.Spec.Containers[0]
	require.NotEmpty(t, c.Args, where)
	return c, c.Args[0]
}

// probeHandler is the HTTP handler the process really serves its probes with, wired as
// cmd/approdo wires it, with PostgreSQL and Temporal unreachable (nothing listens on port
// 1): liveness must answer anyway and readiness must answer "not ready".
func probeHandler(t *testing.T, process string) http.Handler {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), "postgres://approdo@127.0.0.1:1/approdo?connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	log := slog.New(slog.DiscardHandler)
	switch process {
	case "api":
		return api.NewHandler(api.Dependencies{Temporal: tc, Store: store.New(pool), TaskQueue: "approdo", Log: log})
	case "worker":
		h := &worker.Health{Checks: worker.ReadinessChecks(pool, tc), Log: log, Timeout: time.Second}
		return h.Handler()
	}
	t.Fatalf("no probes known for the process %q", process)
	return nil
}

// The probes hit paths and ports the processes really serve: the port is the one the
// process's listen address (HTTP_ADDR, WORKER_HEALTH_ADDR) names, liveness answers 200
// with the dependencies down, readiness answers 503 then (and 200 once they answer, which
// the api's and the worker's own tests check).
func TestDeploymentsAreProbedWhereTheProcessesAnswer(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	listenVar := map[string]string{"api": "HTTP_ADDR", "worker": "WORKER_HEALTH_ADDR"}
	for _, d := range m.deployments {
		where := m.from[d]
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		require.NoError(t, err, where)
		require.True(t, sel.Matches(labels.Set(d.Spec.Template.Labels)), "%s: its selector matches its pods", where)

		c, process := processOf(t, where, d)
		env := m.environment(t, where, c)
		addr, ok := env[listenVar[process]]
		require.True(t, ok, "%s: %s sets %s, or the probes have nothing to reach", where, process, listenVar[process])
		host, portText, err := net.SplitHostPort(addr)
		require.NoError(t, err, where)
		require.NotContains(t, []string{"127.0.0.1", "localhost", "::1"}, host, "%s: the kubelet probes the pod's address, not its loopback", where)
		listenPort, err := strconv.Atoi(portText)
		require.NoError(t, err, where)

		handler := probeHandler(t, process)
		probes := map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
		if c.StartupProbe != nil {
			probes["startup"] = c.StartupProbe
		}
		for kind, p := range probes {
			where := where + " " + kind + " probe"
			require.NotNil(t, p, where)
			require.NotNil(t, p.HTTPGet, "%s: an HTTP probe", where)
			require.Equal(t, listenPort, containerPort(t, where, c, p.HTTPGet.Port.String()), "%s: the port %s listens on", where, listenVar[process])
			require.Empty(t, p.HTTPGet.Host, where)

			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p.HTTPGet.Path, nil))
			if kind == "readiness" {
				require.Equal(t, http.StatusServiceUnavailable, rec.Code, "%s: %s is the readiness check", where, p.HTTPGet.Path)
				var body struct{ Checks map[string]string }
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), where)
				require.Contains(t, body.Checks, "postgres", where)
				require.Contains(t, body.Checks, "temporal", where)
				// The checks take up to a couple of seconds each when a dependency hangs.
				require.GreaterOrEqual(t, p.TimeoutSeconds, int32(5), "%s: time for both checks", where)
				continue
			}
			require.Equal(t, http.StatusOK, rec.Code, "%s: %s answers while the dependencies are down", where, p.HTTPGet.Path)
		}

		// The process's own shutdown ends before the kubelet's SIGKILL.
		shutdown, err := time.ParseDuration(env["SHUTDOWN_TIMEOUT"])
		require.NoError(t, err, "%s: SHUTDOWN_TIMEOUT", where)
		grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
		require.NotNil(t, grace, where)
		require.Less(t, shutdown+5*time.Second, time.Duration(*grace)*time.Second, "%s: SHUTDOWN_TIMEOUT well within terminationGracePeriodSeconds", where)
	}
}

// containerPort resolves a probe's or a Service's port (a name or a number) to a port
// the container declares.
func containerPort(t *testing.T, where string, c corev1.Container, port string) int {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == port || strconv.Itoa(int(p.ContainerPort)) == port {
			return int(p.ContainerPort)
		}
	}
	t.Fatalf("%s: port %s is not a port of container %s", where, port, c.Name)
	return 0
}

// selected are the Deployments whose pods a label selector picks.
func (m manifests) selected(t *testing.T, where string, s *metav1.LabelSelector) []*appsv1.Deployment {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(s)
	require.NoError(t, err, where)
	require.False(t, sel.Empty(), "%s: an empty selector picks every pod", where)
	var ds []*appsv1.Deployment
	for _, d := range m.deployments {
		if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			ds = append(ds, d)
		}
	}
	return ds
}

func TestAutoscalerAndBudgetsAndServiceSelectRealPods(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	minReplicas := map[string]int32{}
	for _, d := range m.deployments {
		minReplicas[d.Name] = 1
		if d.Spec.Replicas != nil {
			minReplicas[d.Name] = *d.Spec.Replicas
		}
	}

	for _, h := range m.hpas {
		where := m.from[h]
		ref := h.Spec.ScaleTargetRef
		require.Equal(t, "apps/v1", ref.APIVersion, where)
		require.Equal(t, "Deployment", ref.Kind, where)
		d := m.deployment(ref.Name)
		require.NotNil(t, d, "%s: targets Deployment %s, which is in deploy/k8s", where, ref.Name)
		_, process := processOf(t, m.from[d], d)
		require.Equal(t, "worker", process, "%s: scales the workers", where)
		require.NotNil(t, h.Spec.MinReplicas, where)
		require.GreaterOrEqual(t, *h.Spec.MinReplicas, int32(2), "%s: never fewer than two workers", where)
		require.Greater(t, h.Spec.MaxReplicas, *h.Spec.MinReplicas, where)
		require.NotEmpty(t, h.Spec.Metrics, where)
		for _, metric := range h.Spec.Metrics {
			if metric.Resource != nil {
				// A utilisation target is a share of the requests, which must then exist.
				_, ok := d.Spec.Template.Spec.Containers[0].Resources.Requests[metric.Resource.Name]
				require.True(t, ok, "%s: %s is requested by the pods it scales on", where, metric.Resource.Name)
			}
		}
		minReplicas[d.Name] = *h.Spec.MinReplicas
	}

	covered := map[string]bool{}
	for _, p := range m.pdbs {
		where := m.from[p]
		ds := m.selected(t, where, p.Spec.Selector)
		require.NotEmpty(t, ds, "%s: selects the pods of a Deployment", where)
		require.NotNil(t, p.Spec.MinAvailable, "%s: minAvailable", where)
		require.Nil(t, p.Spec.MaxUnavailable, where)
		for _, d := range ds {
			covered[d.Name] = true
			// A budget that keeps every replica would block node drains for ever.
			require.Less(t, int32(p.Spec.MinAvailable.IntValue()), minReplicas[d.Name], "%s: %s can lose a pod", where, d.Name)
		}
	}
	require.True(t, covered["approdo-api"], "the api has a PodDisruptionBudget")
	require.True(t, covered["approdo-worker"], "the workers have a PodDisruptionBudget")

	for _, s := range m.services {
		where := m.from[s]
		ds := m.selected(t, where, &metav1.LabelSelector{MatchLabels: s.Spec.Selector})
		require.Len(t, ds, 1, "%s: selects one Deployment's pods", where)
		c, process := processOf(t, m.from[ds[0]], ds[0])
		require.Equal(t, "api", process, "%s: only the api serves HTTP", where)
		for _, port := range s.Spec.Ports {
			containerPort(t, where, c, port.TargetPort.String())
		}
	}
}

// secretVariables must never be in a ConfigMap: they open the data or the accounts.
func isSecretVariable(name string) bool {
	switch name {
	case "DATABASE_URL", "TEMPORAL_PAYLOAD_KEY", "TEMPORAL_PAYLOAD_DECRYPT_KEYS", "TEMPORAL_API_KEY":
		return true
	}
	return strings.HasSuffix(name, "_PASSWORD")
}

// Secrets are templates whose every value is a placeholder; ConfigMaps hold no secret;
// every variable given to a process is one it reads; every file a variable names is
// mounted, from a Secret that has it.
func TestConfigurationAndSecretsAreWhatTheProcessesRead(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	vars := configVariables()
	require.Contains(t, vars, "DATABASE_URL", "config.Config's env tags are read")

	for _, s := range m.secrets {
		where := m.from[s]
		require.Empty(t, s.Data, "%s: stringData placeholders only, never encoded values", where)
		require.NotEmpty(t, s.StringData, where)
		for k, v := range s.StringData {
			require.True(t, strings.HasPrefix(v, "REPLACE_"), "%s: %s is a REPLACE_ placeholder", where, k)
		}
	}
	for _, cm := range m.configMaps {
		for k := range cm.Data {
			require.False(t, isSecretVariable(k), "%s: %s belongs in a Secret", m.from[cm], k)
		}
	}

	for _, pod := range m.podTemplates() {
		volumes := map[string]corev1.Volume{}
		for _, v := range pod.spec.Volumes {
			volumes[v.Name] = v
			if v.Secret != nil {
				require.NotNil(t, m.secret(v.Secret.SecretName), "%s: Secret %s is in deploy/k8s", pod.where, v.Secret.SecretName)
			}
		}
		for _, c := range pod.spec.Containers {
			where := pod.where + " container " + c.Name
			env := m.environment(t, where, c)
			for name := range env {
				require.True(t, vars[name] || name == "GOMEMLIMIT", "%s: %s is not a variable Approdo reads (internal/config)", where, name)
			}
			for name, value := range env {
				if isSecretVariable(name) {
					require.True(t, strings.HasPrefix(value, "secret:"), "%s: %s comes from a Secret", where, name)
				}
			}
			// Files named by the configuration: the TLS files, PostgreSQL's root certificate.
			files := map[string]string{}
			for name, value := range env {
				if strings.HasSuffix(name, "_FILE") && value != "" {
					files[name] = value
				}
			}
			if ref, ok := strings.CutPrefix(env["DATABASE_URL"], "secret:"); ok {
				secretName, key, _ := strings.Cut(ref, "/")
				url := m.secret(secretName).StringData[key]
				if _, rest, ok := strings.Cut(url, "sslrootcert="); ok {
					files["DATABASE_URL sslrootcert"], _, _ = strings.Cut(rest, "&")
				}
			}
			for name, file := range files {
				requireMountedFromSecret(t, where, name, file, c, volumes, m)
			}
		}
	}

	api := m.deployment("approdo-api")
	apiEnv := m.environment(t, "api", api.Spec.Template.Spec.Containers[0])
	require.Equal(t, "secret:approdo-database/app-url", apiEnv["DATABASE_URL"], "the api logs in as the row-level-security role")
	jobEnv := m.environment(t, "migrate", m.jobs[0].Spec.Template.Spec.Containers[0])
	require.Equal(t, "secret:approdo-database/owner-url", jobEnv["DATABASE_URL"], "migrate logs in as the owner")
	// migrate seals the retention Schedule's input, as the api and the workers seal theirs.
	require.Equal(t, "secret:approdo-secrets/TEMPORAL_PAYLOAD_KEY", jobEnv["TEMPORAL_PAYLOAD_KEY"], "migrate has the payload key")
	for _, d := range m.deployments {
		env := m.environment(t, m.from[d], d.Spec.Template.Spec.Containers[0])
		_, pec := env["PEC_IMAP_HOST"]
		require.Equal(t, d.Name == "approdo-worker-pec", pec, "%s: only one worker reads the PEC mailbox", m.from[d])
		if pec {
			require.Equal(t, appsv1.RecreateDeploymentStrategyType, d.Spec.Strategy.Type, m.from[d])
			require.Equal(t, int32(1), *d.Spec.Replicas, m.from[d])
		}
		require.NotEmpty(t, env["TEMPORAL_PAYLOAD_KEY"], "%s: the payload key", m.from[d])
	}
}

func requireMountedFromSecret(t *testing.T, where, name, file string, c corev1.Container, volumes map[string]corev1.Volume, m manifests) {
	t.Helper()
	require.True(t, path.IsAbs(file), "%s: %s=%s is an absolute path", where, name, file)
	for _, mount := range c.VolumeMounts {
		if path.Dir(file) != path.Clean(mount.MountPath) {
			continue
		}
		require.True(t, mount.ReadOnly, "%s: %s mounted read-only", where, mount.MountPath)
		v := volumes[mount.Name]
		require.NotNil(t, v.Secret, "%s: %s comes from a Secret", where, file)
		require.Contains(t, m.secret(v.Secret.SecretName).StringData, path.Base(file), "%s: Secret %s holds %s", where, v.Secret.SecretName, path.Base(file))
		return
	}
	t.Fatalf("%s: %s=%s, but nothing is mounted at %s", where, name, file, path.Dir(file))
}

// Ingress is denied to every Approdo pod but on the ports its process serves: each
// policy selects real pods, and each port it opens is one their container declares.
func TestNetworkPoliciesOpenOnlyTheServedPorts(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	require.NotEmpty(t, m.policies)
	type pod struct {
		where  string
		labels labels.Set
		c      corev1.Container
	}
	var pods []pod
	for _, d := range m.deployments {
		pods = append(pods, pod{m.from[d], d.Spec.Template.Labels, d.Spec.Template.Spec.Containers[0]})
	}
	for _, j := range m.jobs {
		pods = append(pods, pod{m.from[j], j.Spec.Template.Labels, j.Spec.Template.Spec.Containers[0]})
	}
	for _, j := range m.cronJobs {
		pods = append(pods, pod{m.from[j], j.Spec.JobTemplate.Spec.Template.Labels, j.Spec.JobTemplate.Spec.Template.Spec.Containers[0]})
	}
	denied := map[string]bool{}
	opened := map[string][]int{}
	for _, p := range m.policies {
		where := m.from[p]
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		require.NoError(t, err, where)
		require.False(t, sel.Empty(), "%s: selects Approdo's pods, not the namespace's", where)
		var selected []pod
		for _, pd := range pods {
			if sel.Matches(pd.labels) {
				selected = append(selected, pd)
			}
		}
		require.NotEmpty(t, selected, "%s: selects real pods", where)
		require.Contains(t, p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress, where)
		for _, pd := range selected {
			if len(p.Spec.Ingress) == 0 {
				denied[pd.where] = true
			}
			for _, rule := range p.Spec.Ingress {
				require.NotEmpty(t, rule.Ports, "%s: a rule opens named ports, not every port", where)
				for _, port := range rule.Ports {
					require.NotNil(t, port.Port, where)
					opened[pd.where] = append(opened[pd.where], containerPort(t, where+" on "+pd.where, pd.c, port.Port.String()))
				}
			}
		}
	}
	for _, pd := range pods {
		require.True(t, denied[pd.where], "%s: ingress denied by default", pd.where)
		var served []int
		for _, p := range pd.c.Ports {
			served = append(served, int(p.ContainerPort))
		}
		require.ElementsMatch(t, served, opened[pd.where], "%s: exactly the ports it serves are open", pd.where)
	}
}
