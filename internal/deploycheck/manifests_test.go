package deploycheck

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/approdo/approdo/internal/config"
)

// repoRoot is the repository's root, seen from this package's folder (go test runs a
// package's tests in its folder).
const repoRoot = "../.."

// manifests are the decoded objects of deploy/k8s, by kind, each with the file it came
// from for the failure messages.
type manifests struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	configMaps  []*corev1.ConfigMap
	secrets     []*corev1.Secret
	jobs        []*batchv1.Job
	cronJobs    []*batchv1.CronJob
	policies    []*networkingv1.NetworkPolicy
	from        map[metav1.Object]string
}

// kinds are the objects deploy/k8s may hold, by apiVersion and kind: anything else (a
// typo in either, or a kind nobody checks) fails.
var kinds = map[string]func() metav1.Object{
	"apps/v1/Deployment":                     func() metav1.Object { return &appsv1.Deployment{} },
	"v1/Service":                             func() metav1.Object { return &corev1.Service{} },
	"policy/v1/PodDisruptionBudget":          func() metav1.Object { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() metav1.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"v1/ConfigMap":                           func() metav1.Object { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() metav1.Object { return &corev1.Secret{} },
	"batch/v1/Job":                           func() metav1.Object { return &batchv1.Job{} },
	"batch/v1/CronJob":                       func() metav1.Object { return &batchv1.CronJob{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() metav1.Object { return &networkingv1.NetworkPolicy{} },
}

// decodeStrict decodes one YAML document into obj as the API server would with
// strict field validation: an unknown field, a field in the wrong case, a duplicate
// key or a value of the wrong type is an error.
func decodeStrict(doc []byte, obj any) error {
	// YAMLToJSONStrict refuses duplicate keys; the JSON decoder of sigs.k8s.io/json is the
	// API server's own, case-sensitive unlike encoding/json.
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strictErrs, err := k8sjson.UnmarshalStrict(js, obj)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}

// documents splits a multi-document YAML file on its "---" lines, dropping documents
// that hold only comments.
func documents(data []byte) [][]byte {
	var docs [][]byte
	for _, part := range bytes.Split(append([]byte("\n"), data...), []byte("\n---")) {
		meaningful := false
		for _, line := range strings.Split(string(part), "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				meaningful = true
				break
			}
		}
		if meaningful {
			docs = append(docs, part)
		}
	}
	return docs
}

// decodeObject decodes one manifest into its typed object.
func decodeObject(doc []byte) (metav1.Object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	newObject, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return nil, fmt.Errorf("apiVersion %q kind %q is not one deploy/k8s may hold", tm.APIVersion, tm.Kind)
	}
	obj := newObject()
	if err := decodeStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return obj, nil
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy", "k8s", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "deploy/k8s holds the manifests")
	m := manifests{from: map[metav1.Object]string{}}
	names := map[string]string{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		for i, doc := range documents(data) {
			obj, err := decodeObject(doc)
			require.NoError(t, err, "%s, document %d", file, i+1)
			where := fmt.Sprintf("%s (%s)", filepath.Base(file), obj.GetName())
			require.NotEmpty(t, obj.GetName(), where)
			key := reflect.TypeOf(obj).String() + "/" + obj.GetName()
			require.NotContains(t, names, key, "%s: the same name is in %s", where, names[key])
			names[key] = where
			require.Equal(t, "approdo", obj.GetLabels()["app.kubernetes.io/name"], "%s: every object carries the app label", where)
			require.Empty(t, obj.GetNamespace(), "%s: the operator picks the namespace (kubectl -n)", where)
			m.from[obj] = where
			switch o := obj.(type) {
			case *appsv1.Deployment:
				m.deployments = append(m.deployments, o)
			case *corev1.Service:
				m.services = append(m.services, o)
			case *policyv1.PodDisruptionBudget:
				m.pdbs = append(m.pdbs, o)
			case *autoscalingv2.HorizontalPodAutoscaler:
				m.hpas = append(m.hpas, o)
			case *corev1.ConfigMap:
				m.configMaps = append(m.configMaps, o)
			case *corev1.Secret:
				m.secrets = append(m.secrets, o)
			case *batchv1.Job:
				m.jobs = append(m.jobs, o)
			case *batchv1.CronJob:
				m.cronJobs = append(m.cronJobs, o)
			case *networkingv1.NetworkPolicy:
				m.policies = append(m.policies, o)
			}
		}
	}
	return m
}

// configVariables are the environment variables the processes read: the env tags of
// config.Config, the one place they are declared.
func configVariables() map[string]bool {
	vars := map[string]bool{}
	typ := reflect.TypeOf(config.Config{})
	for i := range typ.NumField() {
		if name, _, _ := strings.Cut(typ.Field(i).Tag.Get("env"), ","); name != "" {
			vars[name] = true
		}
	}
	return vars
}

// The strict decoding is what catches a typo in a manifest: check that it does, so that
// a change to the decoder cannot quietly make every manifest pass.
func TestStrictDecodingRefusesWhatTheAPIServerWould(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"unknown field": `
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
datas: {A: b}`,
		"field in the wrong case": `
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  template:
    spec:
      containers:
        - name: c
          securityContext: {readOnlyRootFileSystem: true}`,
		"duplicate key": `
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
data: {A: b}
data: {C: d}`,
		"wrong type": `
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec: {replicas: two}`,
		"bad quantity": `
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  template:
    spec:
      containers:
        - name: c
          resources: {limits: {memory: 512 MB}}`,
		"unknown kind": `
apiVersion: apps/v1
kind: Deploymnet
metadata: {name: x}`,
	} {
		_, err := decodeObject([]byte(doc))
		require.Error(t, err, name)
	}
	obj, err := decodeObject([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {A: b}\n"))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"A": "b"}, obj.(*corev1.ConfigMap).Data)
}

func TestDocumentsSplitsOnSeparatorLinesOnly(t *testing.T) {
	t.Parallel()
	docs := documents([]byte("# only a comment\n---\na: 1\n---\n# comment\nb: '---'\n"))
	require.Len(t, docs, 2)
	keys := []string{}
	for _, d := range docs {
		var v map[string]any
		require.NoError(t, yaml.Unmarshal(d, &v))
		for k := range v {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	require.Equal(t, []string{"a", "b"}, keys)
}
