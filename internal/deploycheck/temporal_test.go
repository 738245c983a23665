package deploycheck

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"golang.org/x/net/publicsuffix"
	corev1 "k8s.io/api/core/v1"

	"github.com/approdo/approdo/internal/searchattr"
)

// The keys of the temporalio/helm-charts values that deploy/temporal/values.yaml sets,
// as the chart (1.x) spells them. The strict decoding refuses any other key (and a key in
// the wrong case), so a typo fails here instead of being silently ignored by Helm.
type chartValues struct {
	Server struct {
		ReplicaCount           int                         `json:"replicaCount"`
		Image                  chartImage                  `json:"image"`
		Resources              corev1.ResourceRequirements `json:"resources"`
		SecurityContext        map[string]int              `json:"securityContext"`
		AdditionalVolumes      []map[string]any            `json:"additionalVolumes"`
		AdditionalVolumeMounts []struct {
			Name      string `json:"name"`
			MountPath string `json:"mountPath"`
			ReadOnly  bool   `json:"readOnly"`
		} `json:"additionalVolumeMounts"`
		TLS struct {
			Internode chartServerTLS `json:"internode"`
			Frontend  chartServerTLS `json:"frontend"`
		} `json:"tls"`
		Config struct {
			LogLevel    string `json:"logLevel"`
			Persistence struct {
				DefaultStore     string                    `json:"defaultStore"`
				VisibilityStore  string                    `json:"visibilityStore"`
				NumHistoryShards int                       `json:"numHistoryShards"`
				Datastores       map[string]chartDatastore `json:"datastores"`
			} `json:"persistence"`
			Namespaces struct {
				Create    bool `json:"create"`
				Namespace []struct {
					Name      string `json:"name"`
					Retention string `json:"retention"`
				} `json:"namespace"`
			} `json:"namespaces"`
		} `json:"config"`
		Frontend chartService `json:"frontend"`
		History  chartService `json:"history"`
		Matching chartService `json:"matching"`
		Worker   chartService `json:"worker"`
	} `json:"server"`
	Admintools struct {
		Image chartImage `json:"image"`
	} `json:"admintools"`
	Web struct {
		Enabled      bool                        `json:"enabled"`
		ReplicaCount int                         `json:"replicaCount"`
		Image        chartImage                  `json:"image"`
		Resources    corev1.ResourceRequirements `json:"resources"`
		TLS          struct {
			Enabled                bool   `json:"enabled"`
			SecretName             string `json:"secretName"`
			ServerName             string `json:"serverName"`
			EnableHostVerification bool   `json:"enableHostVerification"`
		} `json:"tls"`
		PodDisruptionBudget map[string]int `json:"podDisruptionBudget"`
		AdditionalEnv       []chartEnv     `json:"additionalEnv"`
	} `json:"web"`
	Schema struct {
		UseHelmHooks bool `json:"useHelmHooks"`
	} `json:"schema"`
}

type chartImage struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
}

type chartServerTLS struct {
	Enabled           bool   `json:"enabled"`
	SecretName        string `json:"secretName"`
	ServerName        string `json:"serverName"`
	RequireClientAuth bool   `json:"requireClientAuth"`
}

type chartService struct {
	PodDisruptionBudget map[string]int `json:"podDisruptionBudget"`
}

type chartEnv struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	ValueFrom *struct {
		SecretKeyRef struct {
			Name string `json:"name"`
			Key  string `json:"key"`
		} `json:"secretKeyRef"`
	} `json:"valueFrom"`
}

// chartDatastore is a SQL datastore as the chart passes it to the server's config, plus
// the chart's own existingSecret/secretKey/createDatabase/manageSchema.
type chartDatastore struct {
	SQL *struct {
		CreateDatabase  bool   `json:"createDatabase"`
		ManageSchema    bool   `json:"manageSchema"`
		PluginName      string `json:"pluginName"`
		DatabaseName    string `json:"databaseName"`
		ConnectAddr     string `json:"connectAddr"`
		ConnectProtocol string `json:"connectProtocol"`
		User            string `json:"user"`
		ExistingSecret  string `json:"existingSecret"`
		SecretKey       string `json:"secretKey"`
		MaxConns        int    `json:"maxConns"`
		MaxIdleConns    int    `json:"maxIdleConns"`
		MaxConnLifetime string `json:"maxConnLifetime"`
		TLS             *struct {
			Enabled                bool   `json:"enabled"`
			EnableHostVerification bool   `json:"enableHostVerification"`
			ServerName             string `json:"serverName"`
			CAFile                 string `json:"caFile"`
		} `json:"tls"`
	} `json:"sql"`
}

func loadChartValues(t *testing.T, data []byte) (chartValues, error) {
	t.Helper()
	var v chartValues
	return v, decodeStrict(data, &v)
}

func TestTemporalHelmValuesRunOnPostgreSQLWithTLS(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "temporal", "values.yaml"))
	require.NoError(t, err)
	v, err := loadChartValues(t, data)
	require.NoError(t, err, "deploy/temporal/values.yaml uses only the chart keys this test knows")

	_, err = loadChartValues(t, bytes.Replace(data, []byte("visibilityStore:"), []byte("visibiltyStore:"), 1))
	require.Error(t, err, "a misspelt key fails")

	p := v.Server.Config.Persistence
	for role, name := range map[string]string{"default": p.DefaultStore, "visibility": p.VisibilityStore} {
		ds, ok := p.Datastores[name]
		require.True(t, ok, "the %s store %q is a datastore", role, name)
		require.NotNil(t, ds.SQL, "the %s store is SQL", role)
		sql := ds.SQL
		// postgres12 is PostgreSQL 12+ with advanced visibility (the List Filters).
		require.Contains(t, []string{"postgres12", "postgres12_pgx"}, sql.PluginName, role)
		require.True(t, sql.ManageSchema, "%s: the chart's schema job keeps the schema up to date", role)
		require.NotEmpty(t, sql.ExistingSecret, "%s: the password comes from a Secret", role)
		require.NotNil(t, sql.TLS, role)
		require.True(t, sql.TLS.Enabled && sql.TLS.EnableHostVerification, "%s: TLS to PostgreSQL, host verified", role)
		mounted := false
		for _, m := range v.Server.AdditionalVolumeMounts {
			mounted = mounted || strings.HasPrefix(sql.TLS.CAFile, strings.TrimSuffix(m.MountPath, "/")+"/")
		}
		require.True(t, mounted, "%s: the CA file %s is mounted", role, sql.TLS.CAFile)
	}
	require.NotEqual(t, p.Datastores[p.DefaultStore].SQL.DatabaseName, p.Datastores[p.VisibilityStore].SQL.DatabaseName,
		"persistence and visibility in databases of their own")

	require.True(t, v.Server.TLS.Frontend.Enabled && v.Server.TLS.Internode.Enabled, "TLS on the frontend and between the services")
	require.True(t, v.Server.TLS.Frontend.RequireClientAuth, "mutual TLS on the frontend")
	require.True(t, v.Web.TLS.Enabled, "the Web UI dials the frontend over TLS")

	// Approdo's side agrees with the cluster's: its namespace is created, and it verifies
	// the frontend's certificate by the name the chart gives it.
	m := loadManifests(t)
	cfg := m.configMap("approdo-config")
	require.NotNil(t, cfg)
	require.True(t, v.Server.Config.Namespaces.Create)
	var namespaces []string
	for _, ns := range v.Server.Config.Namespaces.Namespace {
		namespaces = append(namespaces, ns.Name)
	}
	require.Contains(t, namespaces, cfg.Data["TEMPORAL_NAMESPACE"])
	require.Equal(t, v.Server.TLS.Frontend.ServerName, cfg.Data["TEMPORAL_TLS_SERVER_NAME"])

	env := map[string]chartEnv{}
	for _, e := range v.Web.AdditionalEnv {
		env[e.Name] = e
	}
	require.Equal(t, "true", env["TEMPORAL_AUTH_ENABLED"].Value, "supervisors log in to the UI with OIDC")
	for _, name := range []string{"TEMPORAL_AUTH_PROVIDER_URL", "TEMPORAL_AUTH_CLIENT_ID", "TEMPORAL_AUTH_CALLBACK_URL"} {
		require.NotEmpty(t, env[name].Value, name)
	}
	require.NotNil(t, env["TEMPORAL_AUTH_CLIENT_SECRET"].ValueFrom, "the OIDC client secret comes from a Secret")
	require.Empty(t, env["TEMPORAL_AUTH_CLIENT_SECRET"].Value)
	codec := env["TEMPORAL_CODEC_ENDPOINT"].Value
	require.True(t, strings.HasPrefix(codec, cfg.Data["PUBLIC_URL"]+"/"), "the codec endpoint %s is on the API (%s)", codec, cfg.Data["PUBLIC_URL"])
	require.True(t, strings.HasSuffix(codec, "/codec"), "the API serves its codec under /codec")
	require.Equal(t, "true", env["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"].Value, "the browser sends the portal session to the codec")
	require.True(t, strings.HasPrefix(env["TEMPORAL_AUTH_CALLBACK_URL"].Value, cfg.Data["TEMPORAL_UI_URL"]+"/"),
		"the UI's OIDC callback is on the UI that TEMPORAL_UI_URL names (the codec's allowed origin)")
	// The portal's session cookie is SameSite=Strict: the browser sends it with the UI's
	// requests to the codec only when the UI and the portal are the same site.
	require.Equal(t, site(t, cfg.Data["PUBLIC_URL"]), site(t, cfg.Data["TEMPORAL_UI_URL"]),
		"the Web UI and the portal are the same site, or the session cookie never reaches the codec")
}

// SQL visibility keeps custom search attributes in a fixed number of columns per type
// (schema/postgresql/v12/visibility in the server module): Approdo's must fit, or
// `approdo migrate` would fail on a production cluster that the dev server accepts.
func TestSearchAttributesFitPostgreSQLVisibility(t *testing.T) {
	t.Parallel()
	slots := map[enumspb.IndexedValueType]int{
		enumspb.INDEXED_VALUE_TYPE_KEYWORD:      10,
		enumspb.INDEXED_VALUE_TYPE_BOOL:         3,
		enumspb.INDEXED_VALUE_TYPE_INT:          3,
		enumspb.INDEXED_VALUE_TYPE_DATETIME:     3,
		enumspb.INDEXED_VALUE_TYPE_DOUBLE:       3,
		enumspb.INDEXED_VALUE_TYPE_TEXT:         3,
		enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: 3,
	}
	used := map[enumspb.IndexedValueType][]string{}
	for name, typ := range searchattr.All() {
		used[typ] = append(used[typ], name)
	}
	require.NotEmpty(t, used)
	for typ, names := range used {
		limit, ok := slots[typ]
		require.True(t, ok, "%v has columns in SQL visibility", typ)
		require.LessOrEqual(t, len(names), limit, "%v search attributes %v fit the %d columns", typ, names, limit)
	}
}

// site is a URL's scheme and registrable domain: what SameSite compares.
func site(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	domain, err := publicsuffix.EffectiveTLDPlusOne(u.Hostname())
	require.NoError(t, err, raw)
	return u.Scheme + "://" + domain
}
