// Package payloadcrypt encrypts what Approdo's workflows keep in Temporal: their inputs,
// results, activity arguments and signals carry the data of minors (names, dates of birth,
// guardians' contacts), and Temporal's history and Web UI would otherwise show them to
// anyone who can read the namespace. Payloads are sealed with AES-256-GCM before they leave
// the process and opened when they come back; search attributes are not payloads and
// hold codes only.
//
// Payloads written before encryption was turned on are passed through unchanged, so the
// histories of running cases still decode.
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

// Codec seals and opens payloads with one key.
type Codec struct {
	aead  cipher.AEAD
	keyID string
}

var _ converter.PayloadCodec = (*Codec)(nil)

// ParseKey reads a key given as base64 of 32 random bytes (openssl rand -base64 32).
func ParseKey(encoded string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil || len(key) != 32 {
		return nil, errors.New("the payload key must be the base64 of 32 random bytes (openssl rand -base64 32)")
	}
	return key, nil
}

// NewKey returns a new random key, base64-encoded.
func NewKey() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read does not fail
	return base64.StdEncoding.EncodeToString(key)
}

// New returns a codec with a 32-byte key.
func New(key []byte) (*Codec, error) {
	if len(key) != 32 {
		return nil, errors.New("payloadcrypt: the key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	return &Codec{aead: aead, keyID: hex.EncodeToString(sum[:4])}, nil
}

// DataConverter is Temporal's default converter with payloads sealed by c.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// Encode seals each payload. The key's ID travels in the clear, so that a payload sealed
// with another key is reported as such rather than as garbage.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: marshal payload: %w", err)
		}
		nonce := make([]byte, c.aead.NonceSize())
		_, _ = rand.Read(nonce)
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{metadataEncoding: []byte(Encoding), metadataKeyID: []byte(c.keyID)},
			Data:     c.aead.Seal(nonce, nonce, plain, []byte(c.keyID)),
		}
	}
	return out, nil
}

// Decode opens each sealed payload and passes the others through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[metadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		keyID := string(p.GetMetadata()[metadataKeyID])
		if keyID != c.keyID {
			return nil, fmt.Errorf("payloadcrypt: payload sealed with key %s, this process has key %s", keyID, c.keyID)
		}
		size := c.aead.NonceSize()
		if len(p.GetData()) < size {
			return nil, errors.New("payloadcrypt: sealed payload too short")
		}
		plain, err := c.aead.Open(nil, p.GetData()[:size], p.GetData()[size:], []byte(keyID))
		if err != nil {
			return nil, errors.New("payloadcrypt: sealed payload does not open: altered, or another key")
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("payloadcrypt: unmarshal payload: %w", err)
		}
		out[i] = &decoded
	}
	return out, nil
}
