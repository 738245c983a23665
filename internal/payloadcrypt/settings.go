package payloadcrypt

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Settings are a process's payload settings as the environment gives them.
type Settings struct {
	// Key (TEMPORAL_PAYLOAD_KEY) seals new payloads, and opens them.
	Key string
	// DecryptKeys (TEMPORAL_PAYLOAD_DECRYPT_KEYS, comma-separated) only open payloads: the
	// previous keys after a rotation, and the next key while it is being rolled out.
	DecryptKeys string
	// PlainBefore (TEMPORAL_PAYLOAD_PLAIN_BEFORE, an RFC 3339 time) lets workflows started
	// before it hold unsealed payloads: histories recorded before sealing was turned on.
	// Empty refuses every unsealed payload.
	PlainBefore string
}

// FromSettings builds a process's codec. Its errors name the variable and the position
// of a bad key, never a key.
func FromSettings(s Settings) (*Codec, error) {
	if strings.TrimSpace(s.Key) == "" {
		return nil, errors.New("TEMPORAL_PAYLOAD_KEY is not set: workflow payloads hold minors' data and are sealed with it (make one with: approdo key rotate)")
	}
	key, err := ParseKey(s.Key)
	if err != nil {
		return nil, fmt.Errorf("TEMPORAL_PAYLOAD_KEY: %w", err)
	}
	keys := [][]byte{key}
	if strings.TrimSpace(s.DecryptKeys) != "" {
		items := strings.Split(s.DecryptKeys, ",")
		for i, item := range items {
			k, err := ParseKey(item)
			if err != nil {
				return nil, fmt.Errorf("TEMPORAL_PAYLOAD_DECRYPT_KEYS: item %d of %d: %w", i+1, len(items), err)
			}
			keys = append(keys, k)
		}
	}
	c, err := New(keys...)
	if err != nil {
		return nil, fmt.Errorf("TEMPORAL_PAYLOAD_KEY, TEMPORAL_PAYLOAD_DECRYPT_KEYS: %w", err)
	}
	if raw := strings.TrimSpace(s.PlainBefore); raw != "" {
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_PAYLOAD_PLAIN_BEFORE must be a time such as 2026-11-30T09:00:00Z (RFC 3339), not %q", raw)
		}
		if t.After(time.Now()) {
			return nil, fmt.Errorf("TEMPORAL_PAYLOAD_PLAIN_BEFORE (%s) is in the future: it must be when sealing was turned on, so that no workflow started from now on may hold unsealed payloads", raw)
		}
		c = c.PlainBefore(t)
	}
	return c, nil
}
