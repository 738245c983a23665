package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/approdo/approdo/internal/payloadcrypt"
)

// runKeyRotate prints a new payload key and how to roll it out. It reads the current
// TEMPORAL_PAYLOAD_KEY and TEMPORAL_PAYLOAD_DECRYPT_KEYS, if set, only to name them by
// ID: no key but the new one is ever printed, and nothing is changed anywhere.
func runKeyRotate(out io.Writer, getenv func(string) string, args []string) error {
	if len(args) != 0 {
		return errUsage
	}
	key := payloadcrypt.NewKey()
	raw, err := payloadcrypt.ParseKey(key)
	if err != nil {
		return err
	}
	current := "your current key"
	if getenv("TEMPORAL_PAYLOAD_KEY") != "" {
		c, err := payloadcrypt.FromSettings(payloadcrypt.Settings{
			Key: getenv("TEMPORAL_PAYLOAD_KEY"), DecryptKeys: getenv("TEMPORAL_PAYLOAD_DECRYPT_KEYS"),
		})
		if err != nil {
			return fmt.Errorf("the current payload settings are wrong; fix them before rotating: %w", err)
		}
		ids := c.KeyIDs()
		current = fmt.Sprintf("the current key (ID %s)", ids[0])
		if len(ids) > 1 {
			current += fmt.Sprintf("; the decrypt-only keys already there (IDs %s) stay", strings.Join(ids[1:], ", "))
		}
	}
	_, err = fmt.Fprintf(out, `New payload key, ID %s. It is shown only now: store it with your other secrets.

  %s

Roll it out in two steps, so that no process ever meets a payload sealed with a key it
does not have. Each step changes every process that talks to Temporal (api, worker, and
the CLI's migrate and onboard), then restarts them all:

  1. Add the new key to TEMPORAL_PAYLOAD_DECRYPT_KEYS (comma-separated). Nothing is
     sealed with it yet; every process can now open what it will seal.
  2. Set TEMPORAL_PAYLOAD_KEY to the new key, and move %s into
     TEMPORAL_PAYLOAD_DECRYPT_KEYS in its place. New payloads are now sealed with the
     new key. Then run "approdo migrate": it seals the retention Schedule's input anew.

Remove the old key from TEMPORAL_PAYLOAD_DECRYPT_KEYS only once no workflow started
before step 2 is still running and TEMPORAL_RETENTION has passed since the last of them
closed: their histories hold payloads only it opens (README, "Keys and their rotation").
`, payloadcrypt.KeyID(raw), key, current)
	return err
}
