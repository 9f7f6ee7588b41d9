package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
)

// Encrypter is a remote encryption service: Vault's transit engine
// (secrets/vault.Transit).
type Encrypter interface {
	Encrypt(ctx context.Context, plain []byte) (string, error)
	Decrypt(ctx context.Context, ciphertext string) ([]byte, error)
	// Name names the key, e.g. "transit/sandgate-state".
	Name() string
}

// TransitSeal seals with an Encrypter. The record's aad is sealed along
// with the key (a length, the aad, then the key), and checked on Open, so
// a blob moved to another record does not open.
type TransitSeal struct {
	enc Encrypter
}

// NewTransitSeal returns a seal that uses enc.
func NewTransitSeal(enc Encrypter) *TransitSeal { return &TransitSeal{enc: enc} }

// KeyID implements Sealer: the transit key's name.
func (t *TransitSeal) KeyID() string { return t.enc.Name() }

// Describe implements Sealer.
func (t *TransitSeal) Describe() string { return "vault transit key " + t.enc.Name() }

// Seal implements Sealer.
func (t *TransitSeal) Seal(ctx context.Context, plain, aad []byte) ([]byte, error) {
	framed := binary.BigEndian.AppendUint16(nil, uint16(len(aad)))
	framed = append(append(framed, aad...), plain...)
	defer clear(framed)
	ct, err := t.enc.Encrypt(ctx, framed)
	if err != nil {
		return nil, fmt.Errorf("state: seal: %w", err)
	}
	return append(blobHeader(kindTransit, t.enc.Name()), ct...), nil
}

// Open implements Sealer.
func (t *TransitSeal) Open(ctx context.Context, blob, aad []byte) ([]byte, error) {
	kind, keyID, _, payload, err := parseBlob(blob)
	if err != nil {
		return nil, err
	}
	if kind != kindTransit || keyID != t.enc.Name() {
		return nil, wrongKey(describeKey(kind, keyID), "vault transit "+t.enc.Name())
	}
	framed, err := t.enc.Decrypt(ctx, string(payload))
	if err != nil {
		return nil, fmt.Errorf("state: seal: %w", err)
	}
	defer clear(framed)
	if len(framed) < 2 {
		return nil, fmt.Errorf("state: seal: %w (short plain text)", ErrCorrupt)
	}
	n := int(binary.BigEndian.Uint16(framed))
	if len(framed) < 2+n || !bytes.Equal(framed[2:2+n], aad) {
		return nil, fmt.Errorf("state: seal: %w (the blob belongs to another record)", ErrCorrupt)
	}
	return bytes.Clone(framed[2+n:]), nil
}

var _ Sealer = (*TransitSeal)(nil)
