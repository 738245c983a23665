package payloadcrypt_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/approdo/approdo/internal/payloadcrypt"
)

type minor struct {
	GivenName string
	BirthDate string
}

func codec(t *testing.T) *payloadcrypt.Codec {
	t.Helper()
	key, err := payloadcrypt.ParseKey(payloadcrypt.NewKey())
	require.NoError(t, err)
	c, err := payloadcrypt.New(key)
	require.NoError(t, err)
	return c
}

func TestPayloadsAreSealedAndOpened(t *testing.T) {
	t.Parallel()
	dc := codec(t).DataConverter()
	sealed, err := dc.ToPayloads(minor{GivenName: "Olena", BirthDate: "2017-04-12"})
	require.NoError(t, err)
	for _, p := range sealed.Payloads {
		require.False(t, bytes.Contains(p.Data, []byte("Olena")), "the name is not readable in what Temporal keeps")
		require.Equal(t, payloadcrypt.Encoding, string(p.Metadata["encoding"]))
	}
	var back minor
	require.NoError(t, dc.FromPayloads(sealed, &back))
	require.Equal(t, minor{GivenName: "Olena", BirthDate: "2017-04-12"}, back)
}

func TestPayloadsWrittenBeforeEncryptionStillDecode(t *testing.T) {
	t.Parallel()
	plain, err := converter.GetDefaultDataConverter().ToPayloads(minor{GivenName: "Olena"})
	require.NoError(t, err)
	var back minor
	require.NoError(t, codec(t).DataConverter().FromPayloads(plain, &back))
	require.Equal(t, "Olena", back.GivenName)
}

func TestAlteredOrForeignPayloadsAreRefused(t *testing.T) {
	t.Parallel()
	c := codec(t)
	sealed, err := c.DataConverter().ToPayloads(minor{GivenName: "Olena"})
	require.NoError(t, err)

	var back minor
	require.ErrorContains(t, codec(t).DataConverter().FromPayloads(sealed, &back), "sealed with key", "another key is named, not guessed")

	sealed.Payloads[0].Data[len(sealed.Payloads[0].Data)-1] ^= 1
	require.ErrorContains(t, c.DataConverter().FromPayloads(sealed, &back), "does not open")
}

func TestKeysAreChecked(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "not base64!", "c2hvcnQ="} {
		_, err := payloadcrypt.ParseKey(bad)
		require.Error(t, err, bad)
	}
}
