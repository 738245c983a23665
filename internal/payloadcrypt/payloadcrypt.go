// Package payloadcrypt encrypts what Approdo's workflows keep in Temporal: their inputs,
// results, activity arguments and signals carry the data of minors (names, dates of birth,
// guardians' contacts), and Temporal's history and Web UI would otherwise show them to
// anyone who can read the namespace. Payloads are sealed with AES-256-GCM before they leave
// the process and opened when they come back; search attributes are not payloads and
// hold codes only.
//
// A Codec is a keyring: it seals with its newest key and opens what any of its keys
// sealed, so a key can be rotated while cases run. Each sealed payload names its key's ID
// (not secret: the first 4 bytes of the key's SHA-256) in its metadata.
//
// Two ways to use it:
//   - Codec.DataConverter, for the processes that run or drive workflows (worker, api,
//     CLI). It refuses unsealed payloads: once sealing is on, a plain Update or signal sent
//     by anyone who can reach the Temporal frontend is not taken as Approdo's. The one
//     exception is histories recorded before sealing was turned on (see PlainBefore).
//   - The Codec itself, a converter.PayloadCodec, for a codec server: its Decode opens
//     sealed payloads and passes unsealed ones through unchanged, because showing a
//     history as it is recorded is harmless and refusing belongs to the workers.
package payloadcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Encoding is the metadata encoding of a sealed payload.
const Encoding = "binary/approdo-aes256gcm"

const (
	metadataEncoding = "encoding"
	metadataKeyID    = "approdo-key-id"
)

// ErrUnknownKey is returned (wrapped) for a payload sealed with a key the codec does not
// hold, and ErrUnsealed for an unsealed payload the data converter refuses.
var (
	ErrUnknownKey = errors.New("payloadcrypt: payload sealed with a key this process does not have")
	ErrUnsealed   = errors.New("payloadcrypt: unsealed payload refused")
)

// Codec seals payloads with its newest key and opens payloads sealed with any of its keys.
// It is safe for concurrent use and never changes after New.
type Codec struct {
	sealer sealKey            // the newest key: every new payload is sealed with it
	keys   map[string]sealKey // every key, by ID
	ids    []string           // every key's ID, newest first, for messages
	// plainBefore: unsealed payloads are accepted in workflows started before it; zero
	// refuses them all. See PlainBefore. started lists the workflows seen to start before
	// it (see DataConverter).
	plainBefore time.Time
	started     *startedBefore
}

type sealKey struct {
	id   string
	aead cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// ParseKey reads a key given as base64 of 32 random bytes (openssl rand -base64 32).
// Its error never repeats the key.
func ParseKey(encoded string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil || len(key) != 32 {
		return nil, errors.New("a payload key must be the base64 of 32 random bytes (make one with: approdo key rotate, or openssl rand -base64 32)")
	}
	return key, nil
}

// NewKey returns a new random key, base64-encoded.
func NewKey() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read does not fail
	return base64.StdEncoding.EncodeToString(key)
}

// KeyID is the ID a key is known by in sealed payloads and messages: the first 4 bytes of
// its SHA-256, in hex. It reveals nothing usable about the key.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// New returns a codec holding keys, newest first, each of 32 bytes: it seals with
// keys[0] and opens what any of them sealed. A key given twice counts once.
func New(keys ...[]byte) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("payloadcrypt: no key")
	}
	c := &Codec{keys: make(map[string]sealKey, len(keys)), started: &startedBefore{}}
	seen := make(map[string][]byte, len(keys))
	for i, key := range keys {
		if len(key) != 32 {
			return nil, fmt.Errorf("payloadcrypt: key %d of %d is %d bytes, not 32", i+1, len(keys), len(key))
		}
		id := KeyID(key)
		if prev, ok := seen[id]; ok {
			if string(prev) == string(key) {
				continue
			}
			return nil, fmt.Errorf("payloadcrypt: two different keys share the ID %s; make another key", id)
		}
		seen[id] = key
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k := sealKey{id: id, aead: aead}
		if i == 0 {
			c.sealer = k
		}
		c.keys[id] = k
		c.ids = append(c.ids, id)
	}
	return c, nil
}

// PlainBefore returns a copy of c whose DataConverter accepts unsealed payloads in the
// workflows started before t, and only there: the histories recorded before sealing was
// turned on. The zero t refuses every unsealed payload. See DataConverter for the details.
func (c *Codec) PlainBefore(t time.Time) *Codec {
	cp := *c
	cp.plainBefore, cp.started = t, &startedBefore{}
	return &cp
}

// SealingKeyID is the ID of the key new payloads are sealed with.
func (c *Codec) SealingKeyID() string { return c.sealer.id }

// KeyIDs lists the IDs of every key the codec opens with, newest first.
func (c *Codec) KeyIDs() []string { return append([]string(nil), c.ids...) }

// Sealed tells whether p is a payload sealed by this package (with any key).
func Sealed(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[metadataEncoding]) == Encoding
}

// Encode seals each payload with the newest key. The key's ID travels in the clear, so
// that a payload is opened with the key that sealed it, and one sealed with a key this
// process lacks is reported as such rather than as garbage.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	k := c.sealer
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: marshal payload: %w", err)
		}
		nonce := make([]byte, k.aead.NonceSize())
		_, _ = rand.Read(nonce)
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{metadataEncoding: []byte(Encoding), metadataKeyID: []byte(k.id)},
			Data:     k.aead.Seal(nonce, nonce, plain, []byte(k.id)),
		}
	}
	return out, nil
}

// Decode opens each sealed payload with the key its metadata names, and passes unsealed
// ones through unchanged (a codec server shows them as recorded; the workers' refusal
// of unsealed payloads is in DataConverter).
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if !Sealed(p) {
			out[i] = p
			continue
		}
		keyID := string(p.GetMetadata()[metadataKeyID])
		k, ok := c.keys[keyID]
		if !ok {
			return nil, fmt.Errorf("%w: it names key %q, this process has %s (add the missing key to TEMPORAL_PAYLOAD_DECRYPT_KEYS)",
				ErrUnknownKey, keyID, strings.Join(c.ids, ", "))
		}
		size := k.aead.NonceSize()
		if len(p.GetData()) < size {
			return nil, errors.New("payloadcrypt: sealed payload too short")
		}
		plain, err := k.aead.Open(nil, p.GetData()[:size], p.GetData()[size:], []byte(keyID))
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: sealed payload does not open with key %s: it was altered", keyID)
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("payloadcrypt: unmarshal payload: %w", err)
		}
		out[i] = &decoded
	}
	return out, nil
}
