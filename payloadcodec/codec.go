// Package payloadcodec encrypts every Temporal payload Concierge writes —
// workflow inputs and results, update and query arguments and answers,
// activity arguments and results, memos, summaries — with AES-256-GCM, so
// that the Temporal server, its database and its Web UI hold ciphertext
// only (docs/DESIGN.md §11.13).
//
// Several keys may be configured for rotation: the first encrypts, every
// one decrypts. Each encrypted payload names its key in its metadata, so
// a payload whose key is no longer configured is refused with an error
// that says which key it needs. A payload without the encryption metadata
// is passed through unchanged: histories written before encryption was
// turned on still replay, and running workflows carry on across the switch.
package payloadcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// Encoding is the "encoding" metadata value of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that encrypted the payload.
	MetadataKeyID = "encryption-key-id"
	// KeySize is the size of an AES-256 key in bytes.
	KeySize = 32
)

// EnvKeys is the variable that configures the keys; errors name it so an
// operator knows where to look.
const EnvKeys = "CONCIERGE_PAYLOAD_KEYS"

// Key is one AES-256 key and the ID payloads name it by.
type Key struct {
	ID     string
	secret []byte
}

// String masks the key's material: only the ID shows.
func (k Key) String() string { return k.ID + ":(secret)" }

// GoString masks the key under %#v too.
func (k Key) GoString() string { return k.String() }

// Config is the key in the form ParseKeys reads: ID:base64. It exposes the
// secret; only the dev key file is written with it.
func (k Key) Config() string { return k.ID + ":" + base64.StdEncoding.EncodeToString(k.secret) }

var keyID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// NewKey checks an ID and 32 bytes of key material.
func NewKey(id string, secret []byte) (Key, error) {
	if !keyID.MatchString(id) {
		return Key{}, fmt.Errorf("key ID %q: want 1 to 64 letters, digits, '.', '_' or '-'", id)
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("key %q: want %d bytes of key (base64 of 32 random bytes), got %d", id, KeySize, len(secret))
	}
	return Key{ID: id, secret: append([]byte(nil), secret...)}, nil
}

// GenerateKey makes a new random key.
func GenerateKey(id string) (Key, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("generate payload key: %w", err)
	}
	return NewKey(id, secret)
}

// ParseKeys reads a comma-separated list of ID:base64 keys, the first the
// one that encrypts. Its errors never contain key material.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	seen := map[string]bool{}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("entry %d: want ID:base64-key", i+1)
		}
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("key %q: the key is not standard base64", id)
		}
		k, err := NewKey(strings.TrimSpace(id), secret)
		if err != nil {
			return nil, err
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("key ID %q is listed twice", k.ID)
		}
		seen[k.ID] = true
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no key: want ID:base64-key[,ID:base64-key…]")
	}
	return keys, nil
}

// Codec is the AES-256-GCM payload codec. It is safe for concurrent use.
type Codec struct {
	current string
	aeads   map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New makes a codec: keys[0] encrypts, every key decrypts.
func New(keys []Key) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("payload codec: no key")
	}
	c := &Codec{current: keys[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if _, dup := c.aeads[k.ID]; dup {
			return nil, fmt.Errorf("payload codec: key ID %q is listed twice", k.ID)
		}
		block, err := aes.NewCipher(k.secret)
		if err != nil {
			return nil, fmt.Errorf("payload codec: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("payload codec: key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
	}
	return c, nil
}

// KeyID is the ID of the key that encrypts.
func (c *Codec) KeyID() string { return c.current }

// Encode encrypts each payload whole (its metadata and data) under the
// current key with a fresh random nonce. The key ID is also the
// additional authenticated data, so a payload relabelled with another key's
// ID does not decrypt.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("payload nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(c.current),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.current)),
		}
	}
	return out, nil
}

// Decode decrypts the encrypted payloads and passes every other one through
// as it is (histories from before encryption). A payload encrypted with a
// key that is not configured, or altered after encryption, is an error.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[id]
		if !ok {
			return nil, fmt.Errorf("payload encrypted with key %q, which is not among the configured keys (%s)", id, EnvKeys)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("payload encrypted with key %q is too short to be a ciphertext", id)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("payload encrypted with key %q does not decrypt (altered, or a different key under that ID): %w", id, err)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("decrypted payload (key %q): %w", id, err)
		}
		out[i] = &dec
	}
	return out, nil
}

// DataConverter is the SDK's default converter with this codec under it:
// what every client and worker of Concierge is given.
func DataConverter(c *Codec) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// DevKeyFile is the name of the file in the `concierge dev` data directory
// that keeps the generated key.
const DevKeyFile = "payload-keys"

// LoadOrCreateKeyFile reads the keys kept in path, or, when the file does
// not exist, generates one key, writes it there (mode 0600) and returns it
// with created true. `concierge dev` keeps its key this way so that a
// restart still reads the histories it wrote.
func LoadOrCreateKeyFile(path string, now time.Time) (keys []Key, created bool, err error) {
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		keys, err := ParseKeys(strings.TrimSpace(string(raw)))
		if err != nil {
			return nil, false, fmt.Errorf("payload key file %s: %w", path, err)
		}
		return keys, false, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, false, fmt.Errorf("read payload key file: %w", err)
	}
	k, err := GenerateKey("dev-" + now.UTC().Format("20060102T150405"))
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("payload key directory: %w", err)
	}
	// O_EXCL: two processes starting at once do not overwrite each other's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("write payload key file: %w", err)
	}
	if _, err := f.WriteString(k.Config() + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write payload key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("write payload key file: %w", err)
	}
	return []Key{k}, true, nil
}
