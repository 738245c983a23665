package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/payloadcrypt"
)

func TestKeyRotatePrintsANewKeyAndNamesTheOthersByIDOnly(t *testing.T) {
	t.Parallel()
	current, older := payloadcrypt.NewKey(), payloadcrypt.NewKey()
	env := map[string]string{"TEMPORAL_PAYLOAD_KEY": current, "TEMPORAL_PAYLOAD_DECRYPT_KEYS": older}
	var out bytes.Buffer
	require.NoError(t, runKeyRotate(&out, func(k string) string { return env[k] }, nil))

	printed := regexp.MustCompile(`(?m)^  (\S{44})$`).FindStringSubmatch(out.String())
	require.NotNil(t, printed, out.String())
	key, err := payloadcrypt.ParseKey(printed[1])
	require.NoError(t, err, "the printed key is usable as it is")
	require.Contains(t, out.String(), "ID "+payloadcrypt.KeyID(key))
	require.NotEqual(t, current, printed[1])

	for _, k := range []string{current, older} {
		raw, err := payloadcrypt.ParseKey(k)
		require.NoError(t, err)
		require.NotContains(t, out.String(), k, "no configured key is printed")
		require.Contains(t, out.String(), payloadcrypt.KeyID(raw), "but each is named by its ID")
	}
	require.Contains(t, out.String(), "TEMPORAL_PAYLOAD_DECRYPT_KEYS")
	require.Contains(t, out.String(), "approdo migrate")

	out.Reset()
	env["TEMPORAL_PAYLOAD_DECRYPT_KEYS"] = "AAAA"
	err = runKeyRotate(&out, func(k string) string { return env[k] }, nil)
	require.ErrorContains(t, err, "TEMPORAL_PAYLOAD_DECRYPT_KEYS: item 1 of 1")
	require.Empty(t, out.String(), "no key is printed while the current settings are wrong")

	require.ErrorIs(t, runKeyRotate(&out, func(string) string { return "" }, []string{"now"}), errUsage)
}
