// Package secrets defines the store that Lua handlers read credentials from,
// a cache in front of it, and the path rules that confine reads. Backends live
// in sub-packages (secrets/file, secrets/vault) so that a user of the
// interface does not import Vault.
package secrets

import (
	"context"
	"errors"
)

// Store reads one secret: a path relative to the backend's prefix, returning
// all of its fields as strings. A missing secret is ErrNotFound (wrapped).
// The returned map may be shared with other callers and with the store's
// own copy: it must not be changed.
type Store interface {
	Get(ctx context.Context, path string) (map[string]string, error)
}

// StoreFunc adapts a function to a Store.
type StoreFunc func(ctx context.Context, path string) (map[string]string, error)

// Get calls f.
func (f StoreFunc) Get(ctx context.Context, path string) (map[string]string, error) {
	return f(ctx, path)
}

// ErrNotFound reports a secret that does not exist.
var ErrNotFound = errors.New("secret not found")
