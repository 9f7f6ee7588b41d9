package state

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Seal errors. Opening a blob either gives back exactly what was sealed or
// fails with one of these; it never gives another key's plain text.
var (
	// ErrWrongKey: the blob was sealed by another key; the error names both.
	ErrWrongKey = errors.New("sealed by another key")
	// ErrCorrupt: the blob is damaged, truncated or was changed.
	ErrCorrupt = errors.New("sealed blob is damaged or was changed")
)

// Sealer encrypts CA private keys before they reach a Store. aad binds a
// blob to its record (the sandbox id): a blob moved to another record
// does not open.
type Sealer interface {
	Seal(ctx context.Context, plain, aad []byte) ([]byte, error)
	Open(ctx context.Context, blob, aad []byte) ([]byte, error)
	// KeyID names the key that Seal uses; every blob records it.
	KeyID() string
	// Describe names the seal for messages (key file and key id, or the
	// transit mount and key); never key material.
	Describe() string
}

// Blob layout: "SG" 0x01 kind, a key id length and the key id, then the
// kind's payload. The header is authenticated along with aad.
const (
	blobMagic   = "SG\x01"
	kindAESGCM  = 'A'
	kindTransit = 'T'
	// KeySize is the size of a seal key file: AES-256.
	KeySize = 32
)

func blobHeader(kind byte, keyID string) []byte {
	h := append([]byte(blobMagic), kind, byte(len(keyID)))
	return append(h, keyID...)
}

// parseBlob splits a blob into its kind, key id, header and payload.
func parseBlob(blob []byte) (kind byte, keyID string, header, payload []byte, err error) {
	n := len(blobMagic)
	if len(blob) < n+2 || string(blob[:n]) != blobMagic {
		return 0, "", nil, nil, fmt.Errorf("state: seal: %w (no sealed-blob header)", ErrCorrupt)
	}
	kind, idLen := blob[n], int(blob[n+1])
	if len(blob) < n+2+idLen {
		return 0, "", nil, nil, fmt.Errorf("state: seal: %w (truncated header)", ErrCorrupt)
	}
	end := n + 2 + idLen
	return kind, string(blob[n+2 : end]), blob[:end], blob[end:], nil
}

// wrongKey is the error for a blob of another key.
func wrongKey(blobKey, ours string) error {
	return fmt.Errorf("state: seal: %w: the blob was sealed by key %s, this seal's key is %s", ErrWrongKey, blobKey, ours)
}

// AESSeal seals with AES-256-GCM under a 32-byte key.
type AESSeal struct {
	aead cipher.AEAD
	id   string
	file string
}

// NewAESSeal returns a seal under key (32 bytes). file only names it in
// messages.
func NewAESSeal(key []byte, file string) (*AESSeal, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("state: seal key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("state: seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("state: seal: %w", err)
	}
	return &AESSeal{aead: aead, id: KeyID(key), file: file}, nil
}

// NewEphemeralSeal is an AES seal under a random key that dies with the
// process: for the memory store, which keeps nothing anyway.
func NewEphemeralSeal() *AESSeal {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	s, _ := NewAESSeal(key, "")
	return s
}

// KeyID is the public name of a seal key: a hash of it, never the key.
func KeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("sandgate seal key id v1\x00"))
	h.Write(key)
	return "k-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// KeyID implements Sealer.
func (s *AESSeal) KeyID() string { return s.id }

// Describe implements Sealer.
func (s *AESSeal) Describe() string {
	if s.file == "" {
		return "an in-memory seal key (key " + s.id + ")"
	}
	return "seal key file " + s.file + " (key " + s.id + ")"
}

// Seal implements Sealer: header, a random 12-byte nonce, the cipher text.
func (s *AESSeal) Seal(_ context.Context, plain, aad []byte) ([]byte, error) {
	header := blobHeader(kindAESGCM, s.id)
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("state: seal: %w", err)
	}
	out := append(bytes.Clone(header), nonce...)
	return s.aead.Seal(out, nonce, plain, additional(header, aad)), nil
}

// Open implements Sealer.
func (s *AESSeal) Open(_ context.Context, blob, aad []byte) ([]byte, error) {
	kind, keyID, header, payload, err := parseBlob(blob)
	if err != nil {
		return nil, err
	}
	if kind != kindAESGCM || keyID != s.id {
		return nil, wrongKey(describeKey(kind, keyID), s.id)
	}
	ns := s.aead.NonceSize()
	if len(payload) < ns+s.aead.Overhead() {
		return nil, fmt.Errorf("state: seal: %w (truncated)", ErrCorrupt)
	}
	plain, err := s.aead.Open(nil, payload[:ns], payload[ns:], additional(header, aad))
	if err != nil {
		return nil, fmt.Errorf("state: seal: %w (authentication failed)", ErrCorrupt)
	}
	return plain, nil
}

func additional(header, aad []byte) []byte {
	return append(append(bytes.Clone(header), 0), aad...)
}

func describeKey(kind byte, keyID string) string {
	if kind == kindTransit {
		return "vault transit " + keyID
	}
	return keyID
}

// LoadKeyFile reads a 32-byte seal key, creating the file (mode 0600, its
// folder 0700) with a random key when it does not exist.
func LoadKeyFile(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("state: reading seal key file: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("state: seal key file %s holds %d bytes, want %d random bytes", path, len(key), KeySize)
	}
	return key, nil
}

func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("state: making seal key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state: creating seal key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it meanwhile
		return LoadKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("state: creating seal key file: %w", err)
	}
	_, werr := f.Write(key)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("state: writing seal key file: %w", err)
	}
	return key, nil
}

// OpenKeyFile is LoadKeyFile then NewAESSeal.
func OpenKeyFile(path string) (*AESSeal, error) {
	key, err := LoadKeyFile(path)
	if err != nil {
		return nil, err
	}
	return NewAESSeal(key, path)
}

var _ Sealer = (*AESSeal)(nil)
