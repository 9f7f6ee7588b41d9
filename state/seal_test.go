package state_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandgate/sandgate/state"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestSealRoundTrip(t *testing.T) {
	s := state.NewEphemeralSeal()
	ctx := context.Background()
	plain := []byte("the CA key, PKCS#8")
	blob, err := s.Seal(ctx, plain, []byte("sb-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, plain) {
		t.Fatal("the sealed blob holds the plain text")
	}
	got, err := s.Open(ctx, blob, []byte("sb-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Errorf("got %q, want %q", got, plain)
	}
	if _, err := s.Open(ctx, blob, []byte("sb-2")); !errors.Is(err, state.ErrCorrupt) {
		t.Errorf("blob moved to another sandbox: got %v, want ErrCorrupt", err)
	}
}

// TestSealFlippedByte flips every bit of a blob in turn: each must fail to
// open, never give other bytes.
func TestSealFlippedByte(t *testing.T) {
	s := state.NewEphemeralSeal()
	ctx := context.Background()
	blob, err := s.Seal(ctx, []byte("secret key bytes"), []byte("id"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range blob {
		for bit := range 8 {
			bad := bytes.Clone(blob)
			bad[i] ^= 1 << bit
			got, err := s.Open(ctx, bad, []byte("id"))
			if err == nil {
				t.Fatalf("byte %d bit %d flipped: opened to %q, want an error", i, bit, got)
			}
			if !errors.Is(err, state.ErrCorrupt) && !errors.Is(err, state.ErrWrongKey) {
				t.Fatalf("byte %d bit %d flipped: got %v, want ErrCorrupt or ErrWrongKey", i, bit, err)
			}
		}
	}
	for n := range len(blob) {
		if _, err := s.Open(ctx, blob[:n], []byte("id")); err == nil {
			t.Fatalf("blob cut to %d bytes opened", n)
		}
	}
}

func TestSealWrongKeyNamed(t *testing.T) {
	a, b := state.NewEphemeralSeal(), state.NewEphemeralSeal()
	blob, err := a.Seal(context.Background(), []byte("k"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Open(context.Background(), blob, nil)
	if !errors.Is(err, state.ErrWrongKey) {
		t.Fatalf("got %v, want ErrWrongKey", err)
	}
	for _, id := range []string{a.KeyID(), b.KeyID()} {
		if !contains(err.Error(), id) {
			t.Errorf("error %q does not name key %s", err, id)
		}
	}
}

func TestKeyFileCreatedPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "seal.key")
	s1, err := state.OpenKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != state.KeySize {
		t.Errorf("key file: got mode %v size %d, want 0600 and %d bytes", fi.Mode().Perm(), fi.Size(), state.KeySize)
	}
	s2, err := state.OpenKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s1.KeyID() != s2.KeyID() {
		t.Errorf("reopened key: got id %s, want %s", s2.KeyID(), s1.KeyID())
	}
	if contains(s1.Describe(), "\x00") || !contains(s1.Describe(), path) {
		t.Errorf("describe %q should name the file", s1.Describe())
	}
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := state.OpenKeyFile(path); err == nil || !contains(err.Error(), "32") {
		t.Errorf("a short key file: got %v, want an error saying 32 bytes", err)
	}
}
