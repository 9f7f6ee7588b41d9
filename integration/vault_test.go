package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandgate/sandgate/secrets/vault/vaulttest"
)

// recorder keeps the Authorization header of every request and answers
// "ok": the sandbox never sees what was injected.
type recorder struct {
	mu   sync.Mutex
	auth []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	r.mu.Unlock()
	w.Write([]byte("ok"))
}

func (r *recorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.auth) == 0 {
		return ""
	}
	return r.auth[len(r.auth)-1]
}

const vaultClasses = `  default:
    allowed_hosts: ["127.0.0.1"]
    outbound_by_host:
      "127.0.0.1": { handler: github_auth }
`

type vaultSetup struct {
	g      *gateway
	v      *vaulttest.Server
	rec    *recorder
	url    string
	bodies []string // everything the sandboxes received
}

func startVaultSetup(t *testing.T, cacheTTL string, approle bool) *vaultSetup {
	t.Helper()
	v := vaulttest.Start(t)
	ca := newUpstreamCA(t)
	rec := &recorder{}
	up := ca.startTLS(t, rec)
	auth := fmt.Sprintf("    token: %q\n", v.Token)
	if approle {
		v.Policy("sandgate-read", `path "secret/data/sandgate/*" { capabilities = ["read"] }`)
		roleID, secretID := v.AppRole("sandgate", map[string]any{
			"token_policies": "sandgate-read", "token_ttl": "3s", "token_max_ttl": "6s"})
		f := filepath.Join(t.TempDir(), "secret_id")
		os.WriteFile(f, []byte(secretID), 0o600)
		auth = fmt.Sprintf("    approle: { role_id: %q, secret_id_file: %q }\n", roleID, f)
	}
	extra := fmt.Sprintf("secrets:\n  backend: vault\n  vault:\n    address: %q\n    mount: secret\n    prefix: sandgate\n    cache_ttl: %s\n%s",
		v.Addr, cacheTTL, auth)
	g := startGateway(t, gatewayConfig{Classes: vaultClasses, CAFiles: []string{ca.PEMFile}, Extra: extra,
		Env: []string{"VAULT_TOKEN=", "VAULT_ADDR="}})
	return &vaultSetup{g: g, v: v, rec: rec, url: up.URL}
}

func (s *vaultSetup) get(t *testing.T, sb *sandbox) curlResult {
	t.Helper()
	r := curl(t, append(viaProxy(s.g, sb), s.url+"/api")...)
	s.bodies = append(s.bodies, r.Headers+r.Body)
	return r
}

func (s *vaultSetup) expectToken(t *testing.T, sb *sandbox, token string) {
	t.Helper()
	r := s.get(t, sb)
	if r.Status != 200 {
		t.Fatalf("%s: got %d %s", sb.ID, r.Status, r.Body)
	}
	if got, want := s.rec.last(), "Bearer "+token; got != want {
		t.Fatalf("%s: upstream got %q, want %q", sb.ID, got, want)
	}
}

// noLeaks checks that none of the secret values reached a sandbox or a
// line the gateway wrote.
func (s *vaultSetup) noLeaks(t *testing.T, values ...string) {
	t.Helper()
	logs := s.g.Logs()
	for _, v := range values {
		if strings.Contains(logs, v) {
			t.Errorf("secret %q appears in the gateway's output", v[:4]+"...")
		}
		for _, b := range s.bodies {
			if strings.Contains(b, v) {
				t.Errorf("secret %q reached a sandbox", v[:4]+"...")
			}
		}
	}
}

func TestVaultTokensPerSandboxAndRotation(t *testing.T) {
	s := startVaultSetup(t, "1s", false)
	s.v.Put("sandgate/sandboxes/one", map[string]any{"github_token": "ghp-one-v1-aaaa"})
	s.v.Put("sandgate/sandboxes/two", map[string]any{"github_token": "ghp-two-v1-bbbb"})
	one := s.g.createSandbox(map[string]any{"id": "one"})
	two := s.g.createSandbox(map[string]any{"id": "two"})
	s.expectToken(t, one, "ghp-one-v1-aaaa")
	s.expectToken(t, two, "ghp-two-v1-bbbb")

	// A new version is used once the 1s cache entry expires.
	s.v.Put("sandgate/sandboxes/one", map[string]any{"github_token": "ghp-one-v2-cccc"})
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.get(t, one)
		if r.Status == 200 && s.rec.last() == "Bearer ghp-one-v2-cccc" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new version was not used within 10s; last %q", s.rec.last())
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.expectToken(t, two, "ghp-two-v1-bbbb")
	s.noLeaks(t, "ghp-one-v1-aaaa", "ghp-two-v1-bbbb", "ghp-one-v2-cccc", s.v.Token)
}

func TestVaultFlushUsesNewVersionAtOnce(t *testing.T) {
	s := startVaultSetup(t, "1h", false)
	s.v.Put("sandgate/sandboxes/fl", map[string]any{"github_token": "ghp-fl-v1-dddd"})
	sb := s.g.createSandbox(map[string]any{"id": "fl"})
	s.expectToken(t, sb, "ghp-fl-v1-dddd")
	s.v.Put("sandgate/sandboxes/fl", map[string]any{"github_token": "ghp-fl-v2-eeee"})
	s.expectToken(t, sb, "ghp-fl-v1-dddd") // cached for an hour
	s.g.mustAPI(200, "POST", "/v1/secrets/flush", nil)
	s.expectToken(t, sb, "ghp-fl-v2-eeee")
	s.noLeaks(t, "ghp-fl-v1-dddd", "ghp-fl-v2-eeee", s.v.Token)
}

func TestVaultOutageFailsClosedAndRecovers(t *testing.T) {
	s := startVaultSetup(t, "0s", false)
	s.v.Put("sandgate/sandboxes/out", map[string]any{"github_token": "ghp-out-v1-ffff"})
	sb := s.g.createSandbox(map[string]any{"id": "out"})
	s.expectToken(t, sb, "ghp-out-v1-ffff")
	before := len(s.rec.auth)
	s.v.Stop()
	r := s.get(t, sb)
	if r.Status != 502 || r.Header("Sandgate-Decision") != "error; reason=handler_error" {
		t.Fatalf("with Vault down: got %d %q, want 502 handler_error", r.Status, r.Header("Sandgate-Decision"))
	}
	if strings.Contains(r.Body, "vault") || strings.Contains(r.Body, "sandboxes/out") {
		t.Errorf("the sandbox saw backend detail: %s", r.Body)
	}
	if len(s.rec.auth) != before {
		t.Fatal("a request was forwarded while Vault was down")
	}
	s.v.Restart() // a dev server loses its data on restart
	s.v.Put("sandgate/sandboxes/out", map[string]any{"github_token": "ghp-out-v2-gggg"})
	s.expectToken(t, sb, "ghp-out-v2-gggg")
	// A missing secret fails closed too.
	s.v.Delete("sandgate/sandboxes/out")
	if r := s.get(t, sb); r.Status != 502 {
		t.Fatalf("deleted secret: got %d, want 502", r.Status)
	}
	s.noLeaks(t, "ghp-out-v1-ffff", "ghp-out-v2-gggg", s.v.Token)
}

func TestVaultAppRoleRenews(t *testing.T) {
	s := startVaultSetup(t, "0s", true)
	s.v.Put("sandgate/sandboxes/ar", map[string]any{"github_token": "ghp-ar-v1-hhhh"})
	sb := s.g.createSandbox(map[string]any{"id": "ar"})
	// token_ttl 3s, token_max_ttl 6s: over 12s the token is renewed and
	// replaced by a fresh login at least once.
	end := time.Now().Add(12 * time.Second)
	n := 0
	for time.Now().Before(end) {
		s.expectToken(t, sb, "ghp-ar-v1-hhhh")
		n++
		time.Sleep(500 * time.Millisecond)
	}
	if n < 10 {
		t.Fatalf("only %d requests in 12s", n)
	}
	s.noLeaks(t, "ghp-ar-v1-hhhh", s.v.Token)
}

// A gateway started while Vault is down serves what needs no secret, fails
// handler requests closed, and recovers when Vault comes up (token and
// AppRole alike).
func TestVaultDownAtStart(t *testing.T) {
	for _, approle := range []bool{false, true} {
		t.Run(fmt.Sprintf("approle=%v", approle), func(t *testing.T) {
			v := vaulttest.Start(t)
			ca := newUpstreamCA(t)
			rec := &recorder{}
			up := ca.startTLS(t, rec)
			auth := fmt.Sprintf("    token: %q\n", v.Token)
			var roleID, secretID string
			if approle {
				v.Policy("sandgate-read", `path "secret/data/sandgate/*" { capabilities = ["read"] }`)
				roleID, secretID = v.AppRole("sandgate", map[string]any{"token_policies": "sandgate-read", "token_ttl": "1h"})
				f := filepath.Join(t.TempDir(), "secret_id")
				os.WriteFile(f, []byte(secretID), 0o600)
				auth = fmt.Sprintf("    approle: { role_id: %q, secret_id_file: %q }\n", roleID, f)
			}
			v.Stop()
			extra := fmt.Sprintf("secrets:\n  backend: vault\n  vault:\n    address: %q\n    prefix: sandgate\n    cache_ttl: 0s\n%s", v.Addr, auth)
			g := startGateway(t, gatewayConfig{Classes: vaultClasses + "  plain:\n    allowed_hosts: [\"127.0.0.1\"]\n",
				CAFiles: []string{ca.PEMFile}, Extra: extra, Env: []string{"VAULT_TOKEN=", "VAULT_ADDR="}})
			s := &vaultSetup{g: g, v: v, rec: rec, url: up.URL}
			sb := g.createSandbox(map[string]any{"id": "down"})
			if r := s.get(t, sb); r.Status != 502 || r.Header("Sandgate-Decision") != "error; reason=handler_error" {
				t.Fatalf("Vault down: got %d %q, want 502 handler_error", r.Status, r.Header("Sandgate-Decision"))
			}
			plain := g.createSandbox(map[string]any{"id": "plain", "class": "plain"})
			if r := s.get(t, plain); r.Status != 200 {
				t.Fatalf("a request needing no secret: got %d, want 200", r.Status)
			}
			v.Restart()
			if approle { // a restarted dev server has lost the role: recreate it with the same ids
				v.Policy("sandgate-read", `path "secret/data/sandgate/*" { capabilities = ["read"] }`)
				v.AppRole("sandgate", map[string]any{"token_policies": "sandgate-read", "token_ttl": "1h"})
				l := v.Client.Logical()
				if _, err := l.Write("auth/approle/role/sandgate/role-id", map[string]any{"role_id": roleID}); err != nil {
					t.Fatal(err)
				}
				if _, err := l.Write("auth/approle/role/sandgate/custom-secret-id", map[string]any{"secret_id": secretID}); err != nil {
					t.Fatal(err)
				}
			}
			v.Put("sandgate/sandboxes/down", map[string]any{"github_token": "ghp-down-v1-iiii"})
			deadline := time.Now().Add(20 * time.Second)
			for {
				r := s.get(t, sb)
				if r.Status == 200 && rec.last() == "Bearer ghp-down-v1-iiii" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("did not recover after Vault came up: last status %d", r.Status)
				}
				time.Sleep(300 * time.Millisecond)
			}
			s.noLeaks(t, "ghp-down-v1-iiii", v.Token)
		})
	}
}
