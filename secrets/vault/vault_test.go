package vault

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/sandgate/sandgate/secrets"
	"github.com/sandgate/sandgate/secrets/vault/vaulttest"
)

const secretValue = "ghp_Sup3rSecretValue"

// syncBuffer is a log sink that tests can read while the store writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger(t *testing.T) (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("store log:\n%s", buf)
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func newStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger, _ = newLogger(t)
	}
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// checkClean fails when an error message carries something it must not.
func checkClean(t *testing.T, err error, forbidden ...string) {
	t.Helper()
	for _, f := range forbidden {
		if f != "" && strings.Contains(err.Error(), f) {
			t.Errorf("error %q contains %q", err, f)
		}
	}
	for _, f := range []string{"http://", "Error making API request", "\n"} {
		if strings.Contains(err.Error(), f) {
			t.Errorf("error %q contains vault/api detail %q", err, f)
		}
	}
}

func TestGet(t *testing.T) {
	v := vaulttest.Start(t)
	v.Put("sandgate/sandboxes/abc", map[string]any{"github_token": secretValue, "port": 8080, "on": true, "nested": map[string]any{"k": "v"}})
	v.Put("sandgate/gone", map[string]any{"token": secretValue})
	v.Delete("sandgate/gone")
	v.Put("outside", map[string]any{"token": secretValue})
	s := newStore(t, Config{Address: v.Addr, Token: v.Token, Prefix: "/sandgate/"})

	fields, err := s.Get(t.Context(), "sandboxes/abc")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := map[string]string{"github_token": secretValue, "port": "8080", "on": "true", "nested": `{"k":"v"}`}
	for k, w := range want {
		if fields[k] != w {
			t.Errorf("field %s: got %q, want %q", k, fields[k], w)
		}
	}

	tests := []struct {
		name    string
		path    string
		want    error
		wantMsg string
	}{
		{name: "missing", path: "sandboxes/nope", want: secrets.ErrNotFound, wantMsg: "secrets: reading sandboxes/nope: secret not found"},
		{name: "folder", path: "sandboxes", want: secrets.ErrNotFound, wantMsg: "secrets: reading sandboxes: secret not found"},
		{name: "deleted", path: "gone", want: secrets.ErrNotFound, wantMsg: "secrets: reading gone: secret not found"},
		{name: "escape", path: "../outside", want: secrets.ErrInvalidPath, wantMsg: `secrets: checking ../outside: invalid secret path: has a ".." segment`},
		{name: "absolute", path: "/secret/data/outside", want: secrets.ErrInvalidPath, wantMsg: "secrets: checking /secret/data/outside: invalid secret path: absolute"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Get(t.Context(), tc.path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err.Error() != tc.wantMsg {
				t.Errorf("got %q, want %q", err, tc.wantMsg)
			}
			checkClean(t, err, v.Token, secretValue)
		})
	}
}

func TestNewVersionAfterFlush(t *testing.T) {
	v := vaulttest.Start(t)
	v.Put("sandgate/a", map[string]any{"token": "version-1"})
	c := secrets.NewCache(newStore(t, Config{Address: v.Addr, Token: v.Token, Prefix: "sandgate"}), time.Hour)

	read := func() string {
		t.Helper()
		fields, err := c.Get(t.Context(), "a")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return fields["token"]
	}
	if got := read(); got != "version-1" {
		t.Fatalf("got %q, want %q", got, "version-1")
	}
	v.Put("sandgate/a", map[string]any{"token": "version-2"})
	if got := read(); got != "version-1" {
		t.Errorf("before flush: got %q, want the cached %q", got, "version-1")
	}
	c.Flush()
	if got := read(); got != "version-2" {
		t.Errorf("after flush: got %q, want %q", got, "version-2")
	}
}

func TestPermissionDenied(t *testing.T) {
	v := vaulttest.Start(t)
	v.Put("sandgate/allowed/x", map[string]any{"token": secretValue})
	v.Put("sandgate/denied/x", map[string]any{"token": secretValue})
	v.Policy("allowed-only", `
path "secret/data/sandgate/allowed/*" { capabilities = ["read"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
`)
	token := v.NewToken("allowed-only")
	s := newStore(t, Config{Address: v.Addr, Token: token, Prefix: "sandgate"})

	if _, err := s.Get(t.Context(), "allowed/x"); err != nil {
		t.Fatalf("Get allowed/x: %v", err)
	}
	_, err := s.Get(t.Context(), "denied/x")
	if !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("got %v, want ErrPermissionDenied", err)
	}
	if got, want := err.Error(), "secrets: reading denied/x: permission denied"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	checkClean(t, err, token, v.Token, secretValue)

	// A token that Vault no longer knows.
	if err := v.Client.Auth().Token().RevokeTree(token); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(t.Context(), "allowed/x")
	if !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("revoked token: got %v, want ErrPermissionDenied", err)
	}
	if got, want := err.Error(), "secrets: reading allowed/x: permission denied (invalid or expired token)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	checkClean(t, err, token, v.Token, secretValue)

	// New checks the token.
	_, err = New(t.Context(), Config{Address: v.Addr, Token: token})
	if !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("New with a revoked token: got %v, want ErrPermissionDenied", err)
	}
	checkClean(t, err, token)
}

func TestTokenWithoutLookupSelf(t *testing.T) {
	v := vaulttest.Start(t)
	v.Put("sandgate/x", map[string]any{"token": secretValue})
	v.Policy("read-only", `path "secret/data/sandgate/*" { capabilities = ["read"] }`)
	s := newStore(t, Config{Address: v.Addr, Token: v.NewToken("read-only"), Prefix: "sandgate"})
	if _, err := s.Get(t.Context(), "x"); err != nil {
		t.Fatalf("Get: %v", err)
	}
}

func TestTokenRenewed(t *testing.T) {
	v := vaulttest.Start(t)
	v.Put("sandgate/a", map[string]any{"token": secretValue})
	v.Policy("reader", readerPolicy)
	sec, err := v.Client.Auth().Token().Create(&api.TokenCreateRequest{
		Policies:       []string{"reader"},
		TTL:            "2s",
		ExplicitMaxTTL: "1m",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, Config{Address: v.Addr, Token: sec.Auth.ClientToken, Prefix: "sandgate"})
	// Without renewal the token would expire after 2s.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if _, err := s.Get(t.Context(), "a"); err != nil {
			t.Fatalf("Get: %v", err)
		}
	}
}

func TestTLS(t *testing.T) {
	v := vaulttest.Start(t, vaulttest.TLS())
	v.Put("sandgate/a", map[string]any{"token": secretValue})
	s := newStore(t, Config{Address: v.Addr, Token: v.Token, Prefix: "sandgate", CAFile: v.CAFile})
	if _, err := s.Get(t.Context(), "a"); err != nil {
		t.Fatalf("Get: %v", err)
	}

	_, err := New(t.Context(), Config{Address: v.Addr, Token: v.Token})
	if !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("without the CA: got %v, want ErrUnavailable", err)
	}
	if got, want := err.Error(), "vault: checking the token: vault certificate not trusted"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	_, err = New(t.Context(), Config{Address: v.Addr, Token: v.Token, CAFile: filepath.Join(t.TempDir(), "nope.pem")})
	if err == nil || !strings.Contains(err.Error(), "vault: loading ca_file") {
		t.Errorf("missing CA file: got %v, want a ca_file error", err)
	}
}

func TestVaultDownSealedRestarted(t *testing.T) {
	v := vaulttest.Start(t)
	put := func() { v.Put("sandgate/a", map[string]any{"token": secretValue}) }
	put()
	s := newStore(t, Config{Address: v.Addr, Token: v.Token, Prefix: "sandgate", Timeout: 2 * time.Second})
	get := func() error {
		_, err := s.Get(t.Context(), "a")
		return err
	}
	if err := get(); err != nil {
		t.Fatalf("Get: %v", err)
	}

	v.Stop()
	start := time.Now()
	err := get()
	if !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("Vault stopped: got %v, want ErrUnavailable", err)
	}
	if got, want := err.Error(), "secrets: reading a: vault unreachable"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("failing took %s: requests should not be retried", d)
	}
	checkClean(t, err, v.Token, secretValue)

	v.Restart()
	put()
	if err := get(); err != nil {
		t.Fatalf("Vault restarted: %v", err)
	}

	if err := v.Client.Sys().Seal(); err != nil {
		t.Fatal(err)
	}
	err = get()
	if !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("Vault sealed: got %v, want ErrUnavailable", err)
	}
	if got, want := err.Error(), "secrets: reading a: vault sealed"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	checkClean(t, err, v.Token, secretValue)
}

func TestTimeout(t *testing.T) {
	// A listener that accepts and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-accepted
		for _, c := range conns {
			c.Close()
		}
	})
	token := "hvs.not-a-real-token"
	start := time.Now()
	// A Vault that does not answer is an outage, not a configuration
	// error: the store starts, and reads fail closed.
	s, err := New(t.Context(), Config{Address: "http://" + l.Addr().String(), Token: token, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("New with Vault not answering: %v, want a store", err)
	}
	t.Cleanup(func() { s.Close() })
	_, err = s.Get(t.Context(), "a")
	if !errors.Is(err, secrets.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if got, want := err.Error(), "secrets: reading a: vault timed out"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s with a 300ms timeout", d)
	}
	checkClean(t, err, token)
}

func TestEnvironment(t *testing.T) {
	v := vaulttest.Start(t)
	v.Put("team/a", map[string]any{"token": secretValue})
	t.Setenv("VAULT_ADDR", v.Addr)
	t.Setenv("VAULT_TOKEN", v.Token)
	s := newStore(t, Config{Prefix: "team"})
	fields, err := s.Get(t.Context(), "a")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if fields["token"] != secretValue {
		t.Errorf("got %q, want %q", fields["token"], secretValue)
	}

	t.Setenv("VAULT_TOKEN", "")
	if _, err := New(t.Context(), Config{}); err == nil || !strings.Contains(err.Error(), "no token") {
		t.Errorf("without a token: got %v, want a no-token error", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "prefix escapes", cfg: Config{Token: "t", Prefix: "a/../b"}, want: "vault: prefix: "},
		{name: "mount escapes", cfg: Config{Token: "t", Mount: "../sys"}, want: "vault: mount: "},
		{name: "approle without role", cfg: Config{AppRole: &AppRole{SecretIDFile: "f"}}, want: "vault: approle needs role_id and secret_id_file"},
		{name: "token and approle", cfg: Config{Token: "t", AppRole: &AppRole{RoleID: "r", SecretIDFile: "f"}}, want: "not both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(t.Context(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestMountCheck(t *testing.T) {
	v := vaulttest.Start(t)
	if err := v.Client.Sys().Mount("kv1", &api.MountInput{Type: "kv", Options: map[string]string{"version": "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := v.Client.Sys().Mount("transit", &api.MountInput{Type: "transit"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mount string
		want  string
	}{
		{mount: "kv1", want: "vault: mount kv1: KV version 1, not 2"},
		{mount: "secret/sub", want: "vault: mount secret/sub: no engine is mounted there (it is inside secret/)"},
		{mount: "transit", want: `vault: mount transit: a "transit" engine, not KV version 2`},
	}
	for _, tc := range tests {
		t.Run(tc.mount, func(t *testing.T) {
			_, err := New(t.Context(), Config{Address: v.Addr, Token: v.Token, Mount: tc.mount})
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

const readerPolicy = `path "secret/data/sandgate/*" { capabilities = ["read"] }`

func appRoleConfig(t *testing.T, v *vaulttest.Server, settings map[string]any) (Config, string) {
	t.Helper()
	v.Policy("reader", readerPolicy)
	roleID, secretID := v.AppRole("sandgate", settings)
	file := filepath.Join(t.TempDir(), "secret_id")
	if err := os.WriteFile(file, []byte(secretID+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Config{
		Address: v.Addr,
		Prefix:  "sandgate",
		AppRole: &AppRole{RoleID: roleID, SecretIDFile: file},
	}, secretID
}

func TestAppRoleRenewAndRelogin(t *testing.T) {
	v := vaulttest.Start(t)
	v.Put("sandgate/a", map[string]any{"token": secretValue})
	cfg, secretID := appRoleConfig(t, v, map[string]any{
		"token_policies": []string{"reader"},
		"token_ttl":      "4s",
		"token_max_ttl":  "10s",
	})
	logger, logs := newLogger(t)
	cfg.Logger = logger
	t.Setenv("VAULT_TOKEN", "hvs.ignored-with-approle")
	s := newStore(t, cfg)

	tokens := map[string]bool{}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		tokens[s.client.Token()] = true
		fields, err := s.Get(t.Context(), "a")
		if err != nil {
			t.Fatalf("Get after %s: %v", 15*time.Second-time.Until(deadline), err)
		}
		if fields["token"] != secretValue {
			t.Fatalf("got %q, want %q", fields["token"], secretValue)
		}
		time.Sleep(250 * time.Millisecond)
	}
	out := logs.String()
	if n := strings.Count(out, "token renewed"); n < 1 {
		t.Errorf("got %d renewals in 15s with a 4s token, want some", n)
	}
	if n := strings.Count(out, "logged in again"); n < 1 {
		t.Errorf("got %d logins in 15s with a 10s max TTL, want at least 1", n)
	}
	if len(tokens) < 2 {
		t.Errorf("got %d distinct tokens in 15s, want at least 2", len(tokens))
	}
	for tok := range tokens {
		if strings.Contains(out, tok) {
			t.Errorf("log contains a token")
		}
	}
	if strings.Contains(out, secretID) || strings.Contains(out, secretValue) {
		t.Errorf("log contains the secret_id or a value:\n%s", out)
	}
}

func TestAppRoleTokenRevoked(t *testing.T) {
	v := vaulttest.Start(t)
	v.Put("sandgate/a", map[string]any{"token": secretValue})
	cfg, _ := appRoleConfig(t, v, map[string]any{"token_policies": []string{"reader"}, "token_ttl": "1h"})
	s := newStore(t, cfg)
	if _, err := s.Get(t.Context(), "a"); err != nil {
		t.Fatalf("Get: %v", err)
	}

	old := s.client.Token()
	if err := v.Client.Auth().Token().RevokeTree(old); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(t.Context(), "a")
	if !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("revoked: got %v, want ErrPermissionDenied", err)
	}
	checkClean(t, err, old)

	// The refusal makes the store log in again without waiting for the
	// token's TTL.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.Get(t.Context(), "a")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing 10s after the token was revoked: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s.client.Token() == old {
		t.Error("the token did not change")
	}
}

func TestAppRoleBadSecretID(t *testing.T) {
	v := vaulttest.Start(t)
	cfg, secretID := appRoleConfig(t, v, map[string]any{"token_policies": []string{"reader"}})
	bad := "00000000-0000-0000-0000-000000000000"
	if err := os.WriteFile(cfg.AppRole.SecretIDFile, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(t.Context(), cfg)
	if !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("got %v, want ErrPermissionDenied", err)
	}
	if got, want := err.Error(), "vault: approle login: invalid role_id or secret_id"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	checkClean(t, err, bad, secretID, cfg.AppRole.RoleID)

	cfg.AppRole.SecretIDFile = filepath.Join(t.TempDir(), "missing")
	_, err = New(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "reading secret_id file") || !strings.Contains(err.Error(), cfg.AppRole.SecretIDFile) {
		t.Errorf("missing file: got %v, want an error naming the file", err)
	}
}

func TestClose(t *testing.T) {
	v := vaulttest.Start(t)
	cfg, _ := appRoleConfig(t, v, map[string]any{"token_policies": []string{"reader"}, "token_ttl": "4s"})
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		s.Close()
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
}
