package deploycheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// koConfig is the part of ko's .ko.yaml that Approdo sets, as ko spells it.
type koConfig struct {
	DefaultBaseImage string   `json:"defaultBaseImage"`
	DefaultPlatforms []string `json:"defaultPlatforms"`
	Builds           []struct {
		ID      string   `json:"id"`
		Main    string   `json:"main"`
		Env     []string `json:"env"`
		Flags   []string `json:"flags"`
		Ldflags []string `json:"ldflags"`
	} `json:"builds"`
}

// The two image builds (ko, the Dockerfile) make the same image: the static binary on
// the same distroless base, as the user the manifests run it as.
func TestImageBuildsAgreeWithTheManifests(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".ko.yaml"))
	require.NoError(t, err)
	var ko koConfig
	require.NoError(t, decodeStrict(data, &ko))
	require.Len(t, ko.Builds, 1)
	b := ko.Builds[0]
	require.Equal(t, "./cmd/approdo", b.Main)
	_, err = os.Stat(filepath.Join(repoRoot, b.Main, "main.go"))
	require.NoError(t, err, "the build's main package exists")
	require.Contains(t, b.Env, "CGO_ENABLED=0", "a static binary, for a base without libc")
	require.Contains(t, b.Flags, "-trimpath")
	require.Contains(t, ko.DefaultPlatforms, "linux/amd64")

	dockerfile, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "image", "Dockerfile"))
	require.NoError(t, err)
	text := string(dockerfile)
	base := regexp.MustCompile(`(?m)^ARG BASE_IMAGE=(\S+)$`).FindStringSubmatch(text)
	require.NotNil(t, base, "the Dockerfile names its base")
	require.Equal(t, ko.DefaultBaseImage, base[1], "ko and the Dockerfile use the same base")
	require.True(t, strings.HasSuffix(base[1], ":nonroot"), "a base whose user is not root")
	require.Contains(t, text, "CGO_ENABLED=0")
	require.Contains(t, text, "./cmd/approdo")
	require.Contains(t, text, `ENTRYPOINT ["/approdo"]`, "the subcommand comes from the manifests' args")

	user := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindStringSubmatch(text)
	require.NotNil(t, user, "a numeric USER, which runAsNonRoot can check")
	uid, err := strconv.ParseInt(user[1], 10, 64)
	require.NoError(t, err)
	goVersion := regexp.MustCompile(`(?m)^ARG GO_IMAGE=\S+:(\d+\.\d+\.\d+)\S*$`).FindStringSubmatch(text)
	require.NotNil(t, goVersion)
	mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(mod))
	require.True(t, strings.HasPrefix(goVersion[1], goLine[1]+"."), "the Dockerfile's Go %s is go.mod's %s", goVersion[1], goLine[1])

	m := loadManifests(t)
	for _, pod := range m.podTemplates() {
		require.Equal(t, uid, *pod.spec.SecurityContext.RunAsUser, "%s: runs as the image's user", pod.where)
	}

	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	require.NoError(t, err)
	require.True(t, slices.Contains(strings.Fields(string(ignore)), ".dev"), "the dev stack's data stays out of the build context")
}
