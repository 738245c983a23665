package deploycheck

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// unit is a systemd unit file: its sections, each a list of key=value in order (systemd
// keys may repeat, and some, like SystemCallFilter, add up).
type unit map[string][][2]string

// values are every value of a key in a section.
func (u unit) values(section, key string) []string {
	var vs []string
	for _, kv := range u[section] {
		if kv[0] == key {
			vs = append(vs, kv[1])
		}
	}
	return vs
}

// value is a key's last value, the one systemd uses for a single-valued key.
func (u unit) value(section, key string) string {
	vs := u.values(section, key)
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// unitKeys are the directives the units may use, by section. systemd ignores an unknown
// key with only a warning, so a misspelt hardening directive would quietly do nothing:
// here it fails. (`systemd-analyze verify` says the same where systemd is installed.)
var unitKeys = map[string][]string{
	"Unit":    {"Description", "Documentation", "Wants", "After", "Requires"},
	"Install": {"WantedBy"},
	"Timer":   {"OnCalendar", "RandomizedDelaySec", "Persistent"},
	"Service": {
		"Type", "RemainAfterExit", "User", "Group", "EnvironmentFile", "ExecStart", "Restart", "RestartSec",
		"TimeoutStartSec", "TimeoutStopSec", "KillSignal", "LimitNOFILE", "UMask",
		"NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
		"ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
		"ProtectClock", "ProtectHostname", "ProtectProc", "ProcSubset", "RestrictNamespaces",
		"RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute", "RemoveIPC",
		"CapabilityBoundingSet", "AmbientCapabilities", "RestrictAddressFamilies",
		"SystemCallArchitectures", "SystemCallFilter", "SystemCallErrorNumber",
	},
}

func parseUnit(data string) (unit, error) {
	u := unit{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			if _, ok := unitKeys[section]; !ok {
				return nil, fmt.Errorf("line %d: unknown section [%s]", n, section)
			}
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				return nil, fmt.Errorf("line %d: not key=value in a section: %q", n, line)
			}
			key, value = strings.TrimSpace(key), strings.TrimSpace(value)
			known := false
			for _, k := range unitKeys[section] {
				known = known || k == key
			}
			if !known {
				return nil, fmt.Errorf("line %d: unknown key %s in [%s]", n, key, section)
			}
			u[section] = append(u[section], [2]string{key, value})
		}
	}
	return u, sc.Err()
}

// envFile parses a systemd EnvironmentFile: KEY=value lines and comments.
func envFile(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	env := map[string]string{}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s:%d: KEY=value", file, n+1)
		require.NotContains(t, env, key, "%s:%d: set twice", file, n+1)
		env[key] = value
	}
	return env
}

func loadUnit(t *testing.T, name string) unit {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "systemd", name))
	require.NoError(t, err)
	u, err := parseUnit(string(data))
	require.NoError(t, err, name)
	return u
}

func TestUnitParserRefusesMisspeltDirectives(t *testing.T) {
	t.Parallel()
	_, err := parseUnit("[Service]\nProtectSytem=strict\n")
	require.ErrorContains(t, err, "ProtectSytem")
	_, err = parseUnit("[Servce]\nUser=approdo\n")
	require.Error(t, err)
	u, err := parseUnit("[Service]\nSystemCallFilter=@system-service\nSystemCallFilter=~@privileged\n")
	require.NoError(t, err)
	require.Equal(t, []string{"@system-service", "~@privileged"}, u.values("Service", "SystemCallFilter"))
}

// The units run each process as its own user, hardened, from the environment file, and
// start the api and the worker only after migrate succeeded.
func TestSystemdUnitsAreHardenedAndOrdered(t *testing.T) {
	t.Parallel()
	hardening := map[string]string{
		"User": "approdo", "Group": "approdo",
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
		"ProtectControlGroups": "yes", "RestrictSUIDSGID": "yes", "MemoryDenyWriteExecute": "yes",
		"CapabilityBoundingSet": "", "AmbientCapabilities": "", "UMask": "0077",
		"SystemCallArchitectures": "native", "SystemCallErrorNumber": "EPERM",
	}
	for process, command := range map[string]string{"api": "api", "worker": "worker", "migrate": "migrate", "audit-prune": "audit prune"} {
		name := "approdo-" + process + ".service"
		u := loadUnit(t, name)
		for key, want := range hardening {
			require.Equal(t, want, u.value("Service", key), "%s: %s", name, key)
			require.Len(t, u.values("Service", key), 1, "%s: %s once", name, key)
		}
		require.Equal(t, []string{"@system-service", "~@privileged"}, u.values("Service", "SystemCallFilter"), name)
		require.Equal(t, "/usr/local/bin/approdo "+command, u.value("Service", "ExecStart"), name)
		envFiles := u.values("Service", "EnvironmentFile")
		require.NotEmpty(t, envFiles, name)
		require.Equal(t, "/etc/approdo/approdo.env", envFiles[0], "%s: reads the environment file", name)
		if process == "migrate" || process == "audit-prune" {
			require.Equal(t, "oneshot", u.value("Service", "Type"), name)
			require.Equal(t, "/etc/approdo/approdo-owner.env", envFiles[len(envFiles)-1], "%s: logs in as the owner, last so that it wins", name)
		}
		if process == "audit-prune" {
			require.Empty(t, u["Install"], "%s: started by its timer only", name)
			continue
		}
		require.Equal(t, "multi-user.target", u.value("Install", "WantedBy"), name)
		if process == "migrate" {
			require.Equal(t, "yes", u.value("Service", "RemainAfterExit"), "%s: counts as done for the units that require it", name)
			continue
		}
		require.Contains(t, u.values("Unit", "Requires"), "approdo-migrate.service", name)
		require.Contains(t, strings.Fields(strings.Join(u.values("Unit", "After"), " ")), "approdo-migrate.service", name)
		require.Equal(t, "on-failure", u.value("Service", "Restart"), name)
		require.NotContains(t, envFiles, "/etc/approdo/approdo-owner.env", "%s: never the owner's URL", name)
	}
	timer := loadUnit(t, "approdo-audit-prune.timer")
	require.NotEmpty(t, timer.value("Timer", "OnCalendar"), "the audit log is pruned on a calendar")
	require.Equal(t, "true", timer.value("Timer", "Persistent"), "a day missed while the machine was off runs at boot")
	require.Equal(t, "timers.target", timer.value("Install", "WantedBy"))

	worker := loadUnit(t, "approdo-worker.service")
	require.Contains(t, worker.values("Service", "EnvironmentFile"), "-/etc/approdo/approdo-pec.env",
		"the PEC reader's settings, on the one machine that has them")
}

// The environment files set only variables Approdo reads, with REPLACE_ placeholders for
// every secret, and the worker's health address on loopback.
func TestSystemdEnvironmentFilesAreTemplates(t *testing.T) {
	t.Parallel()
	vars := configVariables()
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy", "systemd", "*.env.example"))
	require.NoError(t, err)
	require.Len(t, files, 3)
	for _, file := range files {
		for key, value := range envFile(t, file) {
			require.True(t, vars[key], "%s: %s is not a variable Approdo reads", file, key)
			if isSecretVariable(key) {
				require.True(t, strings.HasPrefix(value, "REPLACE_"), "%s: %s is a placeholder", file, key)
			}
		}
	}
	main := envFile(t, filepath.Join(repoRoot, "deploy", "systemd", "approdo.env.example"))
	require.True(t, strings.HasPrefix(main["WORKER_HEALTH_ADDR"], "127.0.0.1:"), "the worker's probes stay on the machine")
	require.True(t, strings.HasPrefix(main["HTTP_ADDR"], "127.0.0.1:"), "the api behind a proxy on the machine")
	require.Contains(t, main["DATABASE_URL"], "sslmode=verify-full")
}
