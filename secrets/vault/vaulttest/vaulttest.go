// Package vaulttest runs a real Vault dev server for tests: in-memory,
// unsealed, KV version 2 mounted at secret/, on a free port of 127.0.0.1.
// The binary comes from SANDGATE_VAULT_BIN or the cache that `make vault`
// fills; a missing binary fails the test, it never skips.
package vaulttest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// Version is the Vault release the tests run against.
const Version = "1.21.0"

// startTimeout bounds how long a server may take to answer its health check.
const startTimeout = 60 * time.Second

// Bin returns the path of the vault binary: $SANDGATE_VAULT_BIN, or
// ~/.cache/sandgate/vault-<Version>/vault.
func Bin() string {
	if p := os.Getenv("SANDGATE_VAULT_BIN"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "sandgate", "vault-"+Version, "vault")
}

// Server is a running dev server. Its data lives in memory: Restart and
// Stop lose every secret, policy and auth method, but Token stays valid
// across a restart.
type Server struct {
	Addr   string      // "http://127.0.0.1:<port>", or https with TLS
	Token  string      // the root token
	Client *api.Client // a client holding the root token
	CAFile string      // with TLS, the PEM file of the CA that signed the server's certificate

	t    testing.TB
	bin  string
	port int
	home string // HOME of the server, so it writes no token helper file of ours
	tls  bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    *os.File
}

// Option configures a Server.
type Option func(*Server)

// TLS serves https with a certificate for 127.0.0.1 signed by a CA that
// Vault generates; CAFile names it. The CA changes at every start.
func TLS() Option {
	return func(s *Server) { s.tls = true }
}

// Start runs a dev server and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin := Bin()
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("vault binary not found at %s: run `make vault` to build it", bin)
	}
	s := &Server{t: t, bin: bin, Token: "root-" + randomHex(12), home: t.TempDir()}
	for _, opt := range opts {
		opt(s)
	}
	t.Cleanup(s.Stop)
	var err error
	for range 3 { // the free port may be taken before vault binds it
		s.port = freePort(t)
		if err = s.start(); err == nil {
			break
		}
		s.Stop()
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Client = s.newClient()
	return s
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logFile, err := os.CreateTemp(s.home, "vault-*.log")
	if err != nil {
		return err
	}
	args := []string{"server", "-dev",
		"-dev-root-token-id=" + s.Token,
		"-dev-listen-address=127.0.0.1:" + strconv.Itoa(s.port),
		"-dev-no-store-token",
		"-log-level=warn",
	}
	s.Addr = "http://127.0.0.1:" + strconv.Itoa(s.port)
	if s.tls {
		certDir, err := os.MkdirTemp(s.home, "tls-")
		if err != nil {
			return err
		}
		args = append(args, "-dev-tls", "-dev-tls-cert-dir="+certDir)
		s.Addr = "https://127.0.0.1:" + strconv.Itoa(s.port)
		s.CAFile = filepath.Join(certDir, "vault-ca.pem")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Env = serverEnv(s.home)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("vaulttest: starting %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.log = cmd, exited, logFile
	if err := s.waitHealthy(exited, startTimeout); err != nil {
		return fmt.Errorf("vaulttest: %w\n%s", err, tail(logFile.Name()))
	}
	return nil
}

// Stop kills the server and waits for it to exit. Stopping twice is fine.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.t.Errorf("vaulttest: server pid %d did not exit", s.cmd.Process.Pid)
	}
	s.log.Close()
	s.cmd = nil
}

// Restart stops the server and starts a fresh one on the same address with
// the same root token. Everything written before is gone (with TLS, the CA
// and CAFile change too).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
	s.Client = s.newClient()
}

// Put writes a new version of the KV v2 secret at path below secret/.
func (s *Server) Put(path string, data map[string]any) {
	s.t.Helper()
	if _, err := s.Client.KVv2("secret").Put(context.Background(), path, data); err != nil {
		s.t.Fatalf("vaulttest: writing secret/%s: %v", path, err)
	}
}

// Delete soft-deletes the latest version of the secret at path below
// secret/.
func (s *Server) Delete(path string) {
	s.t.Helper()
	if err := s.Client.KVv2("secret").Delete(context.Background(), path); err != nil {
		s.t.Fatalf("vaulttest: deleting secret/%s: %v", path, err)
	}
}

// Policy writes an ACL policy.
func (s *Server) Policy(name, hcl string) {
	s.t.Helper()
	if err := s.Client.Sys().PutPolicy(name, hcl); err != nil {
		s.t.Fatalf("vaulttest: writing policy %s: %v", name, err)
	}
}

// NewToken creates a token with the given policies (and not the default
// one unless listed) and returns it.
func (s *Server) NewToken(policies ...string) string {
	s.t.Helper()
	sec, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{
		Policies:        policies,
		NoDefaultPolicy: true,
		TTL:             "1h",
	})
	if err != nil {
		s.t.Fatalf("vaulttest: creating a token: %v", err)
	}
	return sec.Auth.ClientToken
}

// AppRole enables the AppRole auth method at "approle" (once), creates role
// with the given settings (policies, token_ttl, token_max_ttl...), and
// returns its role_id and a new secret_id.
func (s *Server) AppRole(role string, settings map[string]any) (roleID, secretID string) {
	s.t.Helper()
	auths, err := s.Client.Sys().ListAuth()
	if err != nil {
		s.t.Fatalf("vaulttest: listing auth methods: %v", err)
	}
	if _, ok := auths["approle/"]; !ok {
		if err := s.Client.Sys().EnableAuthWithOptions("approle", &api.EnableAuthOptions{Type: "approle"}); err != nil {
			s.t.Fatalf("vaulttest: enabling approle: %v", err)
		}
	}
	l := s.Client.Logical()
	if _, err := l.Write("auth/approle/role/"+role, settings); err != nil {
		s.t.Fatalf("vaulttest: writing role %s: %v", role, err)
	}
	r, err := l.Read("auth/approle/role/" + role + "/role-id")
	if err != nil || r == nil {
		s.t.Fatalf("vaulttest: reading role_id of %s: %v", role, err)
	}
	sec, err := l.Write("auth/approle/role/"+role+"/secret-id", nil)
	if err != nil || sec == nil {
		s.t.Fatalf("vaulttest: creating a secret_id for %s: %v", role, err)
	}
	return r.Data["role_id"].(string), sec.Data["secret_id"].(string)
}

func loadCA(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", file)
	}
	return pool, nil
}

func (s *Server) newClient() *api.Client {
	s.t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = s.Addr
	if s.tls {
		if err := cfg.ConfigureTLS(&api.TLSConfig{CACert: s.CAFile}); err != nil {
			s.t.Fatal(err)
		}
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	c.SetToken(s.Token)
	c.ClearNamespace()
	return c
}

// serverEnv is the test's environment without VAULT_* variables, with its
// own HOME.
func serverEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "VAULT_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home)
}

// waitHealthy polls /v1/sys/health until the server is up and unsealed.
// With TLS the CA file appears once the server has generated it.
func (s *Server) waitHealthy(exited <-chan struct{}, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("vault server exited before it was healthy")
		default:
		}
		if s.tls && client.Transport == nil {
			if pool, err := loadCA(s.CAFile); err == nil {
				client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
			} else {
				time.Sleep(50 * time.Millisecond)
				continue
			}
		}
		if resp, err := client.Get(s.Addr + "/v1/sys/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("vault server not healthy after %s", timeout)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tail returns the end of a log file, for a failure message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
