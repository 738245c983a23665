package payloadcrypt_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/approdo/approdo/internal/payloadcrypt"
)

type minor struct {
	GivenName string
	BirthDate string
}

func newKey(t *testing.T) []byte {
	t.Helper()
	key, err := payloadcrypt.ParseKey(payloadcrypt.NewKey())
	require.NoError(t, err)
	return key
}

func codec(t *testing.T, keys ...[]byte) *payloadcrypt.Codec {
	t.Helper()
	if len(keys) == 0 {
		keys = [][]byte{newKey(t)}
	}
	c, err := payloadcrypt.New(keys...)
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

func TestUnsealedPayloadsAreRefusedOnceSealingIsOn(t *testing.T) {
	t.Parallel()
	plain, err := converter.GetDefaultDataConverter().ToPayloads(minor{GivenName: "Olena"})
	require.NoError(t, err)
	var back minor
	err = codec(t).DataConverter().FromPayloads(plain, &back)
	require.ErrorIs(t, err, payloadcrypt.ErrUnsealed)
	require.Contains(t, err.Error(), "TEMPORAL_PAYLOAD_PLAIN_BEFORE is not set")
	require.Empty(t, back.GivenName)

	// With a cutoff, a client (no workflow context) reads them: it cannot tell when they
	// were written. Workflows decide by their start time (tested with a real server).
	before := codec(t).PlainBefore(time.Now().Add(-time.Hour)).DataConverter()
	require.NoError(t, before.FromPayloads(plain, &back))
	require.Equal(t, "Olena", back.GivenName)
}

func TestTheCodecPassesUnsealedPayloadsThroughForACodecServer(t *testing.T) {
	t.Parallel()
	plain, err := converter.GetDefaultDataConverter().ToPayloads(minor{GivenName: "Olena"})
	require.NoError(t, err)
	out, err := codec(t).Decode(plain.Payloads)
	require.NoError(t, err)
	require.Equal(t, plain.Payloads, out)
}

func TestAKeyringSealsWithTheNewestKeyAndOpensWithAny(t *testing.T) {
	t.Parallel()
	oldKey, newK := newKey(t), newKey(t)
	before := codec(t, oldKey)
	sealedOld, err := before.DataConverter().ToPayloads(minor{GivenName: "Olena"})
	require.NoError(t, err)

	after := codec(t, newK, oldKey)
	require.Equal(t, payloadcrypt.KeyID(newK), after.SealingKeyID())
	require.Equal(t, []string{payloadcrypt.KeyID(newK), payloadcrypt.KeyID(oldKey)}, after.KeyIDs())
	var back minor
	require.NoError(t, after.DataConverter().FromPayloads(sealedOld, &back), "the old key still opens what it sealed")
	require.Equal(t, "Olena", back.GivenName)

	sealedNew, err := after.DataConverter().ToPayloads(minor{GivenName: "Mykola"})
	require.NoError(t, err)
	require.Equal(t, payloadcrypt.KeyID(newK), string(sealedNew.Payloads[0].Metadata["approdo-key-id"]))
	err = before.DataConverter().FromPayloads(sealedNew, &back)
	require.ErrorIs(t, err, payloadcrypt.ErrUnknownKey, "a process without the new key says so")
	require.Contains(t, err.Error(), payloadcrypt.KeyID(newK))
	require.Contains(t, err.Error(), "TEMPORAL_PAYLOAD_DECRYPT_KEYS")
}

func TestAlteredPayloadsAreRefused(t *testing.T) {
	t.Parallel()
	c := codec(t)
	sealed, err := c.DataConverter().ToPayloads(minor{GivenName: "Olena"})
	require.NoError(t, err)
	sealed.Payloads[0].Data[len(sealed.Payloads[0].Data)-1] ^= 1
	var back minor
	require.ErrorContains(t, c.DataConverter().FromPayloads(sealed, &back), "does not open")
	sealed.Payloads[0].Data = sealed.Payloads[0].Data[:3]
	require.ErrorContains(t, c.DataConverter().FromPayloads(sealed, &back), "too short")
}

func TestKeysAreChecked(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "not base64!", "c2hvcnQ="} {
		_, err := payloadcrypt.ParseKey(bad)
		require.Error(t, err, bad)
	}
	_, err := payloadcrypt.New()
	require.Error(t, err)
	_, err = payloadcrypt.New([]byte("short"))
	require.Error(t, err)
	k := newKey(t)
	c, err := payloadcrypt.New(k, k)
	require.NoError(t, err, "a key given twice counts once")
	require.Len(t, c.KeyIDs(), 1)
}

func TestSettingsAreValidatedWithoutShowingKeys(t *testing.T) {
	t.Parallel()
	key, other := payloadcrypt.NewKey(), payloadcrypt.NewKey()
	c, err := payloadcrypt.FromSettings(payloadcrypt.Settings{Key: key, DecryptKeys: " " + other + " ," + key})
	require.NoError(t, err)
	k1, _ := payloadcrypt.ParseKey(key)
	k2, _ := payloadcrypt.ParseKey(other)
	require.Equal(t, []string{payloadcrypt.KeyID(k1), payloadcrypt.KeyID(k2)}, c.KeyIDs())

	secret := strings.Repeat("A", 40) // base64, but 30 bytes
	for _, tc := range []struct {
		s    payloadcrypt.Settings
		want string
	}{
		{payloadcrypt.Settings{}, "TEMPORAL_PAYLOAD_KEY is not set"},
		{payloadcrypt.Settings{Key: secret}, "TEMPORAL_PAYLOAD_KEY: a payload key must be the base64 of 32 random bytes"},
		{payloadcrypt.Settings{Key: key, DecryptKeys: other + "," + secret}, "TEMPORAL_PAYLOAD_DECRYPT_KEYS: item 2 of 2"},
		{payloadcrypt.Settings{Key: key, DecryptKeys: other + ",,"}, "TEMPORAL_PAYLOAD_DECRYPT_KEYS: item 2 of 3"},
		{payloadcrypt.Settings{Key: key, PlainBefore: "yesterday"}, "TEMPORAL_PAYLOAD_PLAIN_BEFORE must be a time such as"},
		{payloadcrypt.Settings{Key: key, PlainBefore: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "is in the future"},
	} {
		_, err := payloadcrypt.FromSettings(tc.s)
		require.ErrorContains(t, err, tc.want)
		require.NotContains(t, err.Error(), secret, "a key is never printed")
		require.NotContains(t, err.Error(), key)
		require.NotContains(t, err.Error(), other)
	}

	cutoff := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	c, err = payloadcrypt.FromSettings(payloadcrypt.Settings{Key: key, PlainBefore: cutoff.Format(time.RFC3339)})
	require.NoError(t, err)
	plain, err := converter.GetDefaultDataConverter().ToPayloads("x")
	require.NoError(t, err)
	var s string
	require.NoError(t, c.DataConverter().FromPayloads(plain, &s), "a cutoff is honoured")
	require.Equal(t, "x", s)
}
