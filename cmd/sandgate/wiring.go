package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/secrets"
	"github.com/sandgate/sandgate/secrets/file"
	"github.com/sandgate/sandgate/secrets/vault"
)

// adminToken reads SANDGATE_ADMIN_TOKEN or admin.token_file; a missing
// file is created with a random token (mode 0600).
func adminToken(cfg *config.Config, log *slog.Logger) (string, error) {
	if t := strings.TrimSpace(os.Getenv("SANDGATE_ADMIN_TOKEN")); t != "" {
		return t, nil
	}
	path := cfg.Admin.TokenFile
	if path == "" {
		return "", fmt.Errorf("%s: admin.token_file is not set and SANDGATE_ADMIN_TOKEN is empty: the admin API needs a token", cfg.File)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 24)
		_, _ = rand.Read(raw)
		tok := hex.EncodeToString(raw)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", fmt.Errorf("creating admin.token_file: %w", err)
		}
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("creating admin.token_file: %w", err)
		}
		log.Info("generated a new admin token", "file", path)
		return tok, nil
	}
	if err != nil {
		return "", fmt.Errorf("reading admin.token_file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("admin.token_file %s is empty", path)
	}
	return tok, nil
}

type secretsBackend struct {
	name  string
	close func()
}

// openSecrets builds the configured backend behind a cache; flush empties
// the cache.
func openSecrets(ctx context.Context, cfg *config.Config, log *slog.Logger) (secrets.Store, func(), secretsBackend, error) {
	switch cfg.Secrets.Backend {
	case "vault":
		v := cfg.Secrets.Vault
		st, err := vault.New(ctx, vaultConfig(cfg, log))
		if err != nil {
			return nil, nil, secretsBackend{}, fmt.Errorf("secrets.vault: %w", err)
		}
		cache := secrets.NewCache(st, v.CacheTTL.Duration)
		return cache, cache.Flush, secretsBackend{name: "vault", close: func() { _ = st.Close() }}, nil
	default:
		// The kernel says when the file's folder changes (a look at the file
		// on every read was 6% of the CPU of a proxied request); a change is
		// used from the next request after it.
		st, err := file.New(cfg.Secrets.File.Path, file.WithLogger(log), file.WithWatch())
		if err != nil {
			return nil, nil, secretsBackend{}, fmt.Errorf("secrets.file.path: %w", err)
		}
		// The file is in memory: collapsing concurrent reads would cost more
		// (a goroutine per read) than the read.
		cache := secrets.NewCache(st, 0, secrets.WithoutCollapse())
		return cache, cache.Flush, secretsBackend{name: "file", close: func() { _ = st.Close() }}, nil
	}
}

// vaultConfig is secrets.vault as the vault package takes it: the secrets
// backend and the transit seal reach Vault the same way.
func vaultConfig(cfg *config.Config, log *slog.Logger) vault.Config {
	v := cfg.Secrets.Vault
	vc := vault.Config{Address: v.Address, Namespace: v.Namespace, Token: v.Token, Mount: v.Mount,
		Prefix: v.Prefix, CAFile: v.CAFile, Timeout: v.Timeout.Duration, Logger: log}
	if v.AppRole != nil {
		vc.AppRole = &vault.AppRole{RoleID: v.AppRole.RoleID, SecretIDFile: v.AppRole.SecretIDFile, Mount: v.AppRole.Mount}
	}
	return vc
}

// scriptsAdapter gives the admin API its view of the engine.
type scriptsAdapter struct{ e *engine.Engine }

func (s scriptsAdapter) Names() []string   { return s.e.Snapshot().Names() }
func (s scriptsAdapter) Has(n string) bool { return s.e.Snapshot().Has(n) }
func (s scriptsAdapter) Source(n string) ([]byte, bool) {
	snap := s.e.Snapshot()
	if !snap.Has(n) {
		return nil, false
	}
	return snap.Source(n), true
}
func (s scriptsAdapter) SHA256(n string) (string, bool) {
	snap := s.e.Snapshot()
	if !snap.Has(n) {
		return "", false
	}
	return snap.SHA256(n), true
}
func (s scriptsAdapter) Params(n string) (engine.Params, bool) { return s.e.Snapshot().Params(n) }
func (s scriptsAdapter) CheckParams(handler string, params any) error {
	return s.e.Snapshot().CheckParams(handler, params)
}
func (s scriptsAdapter) Put(n string, src []byte, bound []engine.Binding) error {
	return s.e.Put(n, src, bound...)
}
func (s scriptsAdapter) Delete(n string) error               { return s.e.Delete(n) }
func (s scriptsAdapter) Reload(bound []engine.Binding) error { return s.e.ReloadBound(bound) }
