package state_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/sandgate/sandgate/state"
)

// fakeTransit stands in for Vault's transit engine: base64 with a prefix.
type fakeTransit struct{ name string }

func (f fakeTransit) Name() string { return f.name }
func (f fakeTransit) Encrypt(_ context.Context, p []byte) (string, error) {
	return "vault:v1:" + base64.StdEncoding.EncodeToString(p), nil
}
func (f fakeTransit) Decrypt(_ context.Context, c string) ([]byte, error) {
	if len(c) < 9 {
		return nil, errors.New("bad cipher text")
	}
	return base64.StdEncoding.DecodeString(c[9:])
}

func TestTransitSeal(t *testing.T) {
	ctx := context.Background()
	s := state.NewTransitSeal(fakeTransit{"transit/k"})
	blob, err := s.Seal(ctx, []byte("key"), []byte("sb-1"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Open(ctx, blob, []byte("sb-1"))
	if err != nil || !bytes.Equal(got, []byte("key")) {
		t.Fatalf("round trip: got %q %v", got, err)
	}
	if _, err := s.Open(ctx, blob, []byte("sb-2")); !errors.Is(err, state.ErrCorrupt) {
		t.Errorf("another record: got %v, want ErrCorrupt", err)
	}
	other := state.NewTransitSeal(fakeTransit{"transit/other"})
	if _, err := other.Open(ctx, blob, []byte("sb-1")); !errors.Is(err, state.ErrWrongKey) {
		t.Errorf("another transit key: got %v, want ErrWrongKey", err)
	}
	if _, err := state.NewEphemeralSeal().Open(ctx, blob, []byte("sb-1")); !errors.Is(err, state.ErrWrongKey) {
		t.Errorf("a key file seal on a transit blob: got %v, want ErrWrongKey", err)
	}
}
