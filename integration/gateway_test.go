package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// gateway is a running sandgate process.
type gateway struct {
	t     *testing.T
	cmd   *exec.Cmd
	dir   string
	Proxy string // host:port
	// Transparent is the transparent listener's host:port, when configured.
	Transparent string
	Admin       string // http://host:port
	Token       string
	ScriptDir   string
	logs        *syncBuffer
	done        chan struct{}
	transparent atomic.Value
}

// gatewayConfig is what a test varies; the rest is filled in.
type gatewayConfig struct {
	// Classes is the YAML under "classes:" (indented two spaces).
	Classes string
	// Extra is more top-level YAML (secrets:, limits:, ...).
	Extra string
	// Secrets is written to secrets.json for the file backend.
	Secrets map[string]map[string]string
	// CAFiles are extra upstream roots.
	CAFiles []string
	// Env is added to the process environment.
	Env []string
	// ProxyExtra is more YAML under "proxy:" (indented two spaces).
	ProxyExtra string
	// Dir, if set, is the gateway's folder (config, scripts, state), kept
	// across restarts; else a new temp dir.
	Dir string
}

var (
	listenLine      = regexp.MustCompile(`proxy on (\S+), admin API on (\S+),`)
	transparentLine = regexp.MustCompile(`^transparent proxy on (\S+)`)
)

// writeGatewayConfig writes gc's config, scripts (copied from the
// repository) and secrets into gc.Dir, or a new temp dir; it returns the
// folder and the config file.
func writeGatewayConfig(t *testing.T, gc gatewayConfig) (dir, cfgPath string) {
	t.Helper()
	dir = gc.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	scripts := filepath.Join(dir, "scripts")
	copyDir(t, filepath.Join(repoRoot, "scripts"), scripts)
	if gc.Secrets == nil {
		gc.Secrets = map[string]map[string]string{}
	}
	writeJSONFile(t, filepath.Join(dir, "secrets.json"), gc.Secrets)
	cas, _ := json.Marshal(gc.CAFiles)
	if gc.CAFiles == nil {
		cas = []byte("[]")
	}
	secretsBlock := "secrets:\n  backend: file\n  file: { path: ./secrets.json }\n"
	if strings.Contains(gc.Extra, "secrets:") {
		secretsBlock = ""
	}
	cfg := fmt.Sprintf(`version: 1
proxy:
  listen: 127.0.0.1:0
  shutdown_timeout: 5s
%sadmin:
  listen: 127.0.0.1:0
scripts_dir: ./scripts
%supstream:
  ca_files: %s
  dial_timeout: 2s
  response_header_timeout: 5s
egress:
  allow_cidrs: ["127.0.0.0/8", "::1/128"]
%s
classes:
%s
`, gc.ProxyExtra, secretsBlock, cas, gc.Extra, gc.Classes)
	cfgPath = filepath.Join(dir, "sandgate.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, cfgPath
}

// startGateway writes a config into gc.Dir or a temp dir and starts the
// real binary on free ports.
func startGateway(t *testing.T, gc gatewayConfig) *gateway {
	t.Helper()
	dir, cfgPath := writeGatewayConfig(t, gc)
	scripts := filepath.Join(dir, "scripts")
	g := &gateway{t: t, dir: dir, Token: "test-admin-token-" + randHex(8), ScriptDir: scripts,
		logs: &syncBuffer{}, done: make(chan struct{})}
	g.cmd = exec.Command(binary, "serve", "-config", cfgPath)
	g.cmd.Env = append(append(os.Environ(), "SANDGATE_ADMIN_TOKEN="+g.Token), gc.Env...)
	stdout, err := g.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	g.cmd.Stderr = g.logs
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrs := make(chan []string, 1)
	go g.readStdout(stdout, addrs)
	go func() { _ = g.cmd.Wait(); close(g.done) }()
	t.Cleanup(g.Stop)
	select {
	case a := <-addrs:
		g.Proxy, g.Admin = a[0], "http://"+a[1]
		if v, ok := g.transparent.Load().(string); ok {
			g.Transparent = v
		}
	case <-g.done:
		t.Fatalf("sandgate exited at start:\n%s", g.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("sandgate did not start in 30s:\n%s", g.logs.String())
	}
	return g
}

func (g *gateway) readStdout(r io.Reader, addrs chan<- []string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		g.logs.WriteString(line + "\n")
		if m := transparentLine.FindStringSubmatch(line); m != nil {
			g.transparent.Store(m[1])
		}
		if m := listenLine.FindStringSubmatch(line); m != nil && !sent {
			addrs <- m[1:]
			sent = true
		}
	}
}

// Stop sends SIGTERM and waits for the process (bounded).
func (g *gateway) Stop() {
	if g.cmd.Process == nil {
		return
	}
	select {
	case <-g.done:
		return
	default:
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(15 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
	if g.t.Failed() {
		g.t.Logf("gateway log:\n%s", g.logs.String())
	}
}

// Kill ends the process with SIGKILL (kill -9) and waits for it.
func (g *gateway) Kill() {
	_ = g.cmd.Process.Kill()
	<-g.done
}

// Logs is everything the gateway printed so far.
func (g *gateway) Logs() string { return g.logs.String() }

// api calls the admin API; body may be nil, a string (sent as is) or a value (JSON).
func (g *gateway) api(method, path string, body any) (int, []byte) {
	g.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			g.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, g.Admin+path, r)
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// mustAPI is api that fails the test unless the status is want.
func (g *gateway) mustAPI(want int, method, path string, body any) []byte {
	g.t.Helper()
	code, out := g.api(method, path, body)
	if code != want {
		g.t.Fatalf("%s %s: got status %d, want %d: %s", method, path, code, want, out)
	}
	return out
}

// sandbox is a created sandbox as the admin API returned it.
type sandbox struct {
	ID       string            `json:"id"`
	Token    string            `json:"token"`
	Class    string            `json:"class"`
	ProxyURL string            `json:"proxy_url"`
	CAPEM    string            `json:"ca_pem"`
	Env      map[string]string `json:"env"`
	caFile   string
}

func (g *gateway) createSandbox(body map[string]any) *sandbox {
	g.t.Helper()
	out := g.mustAPI(http.StatusCreated, "POST", "/v1/sandboxes", body)
	var sb sandbox
	if err := json.Unmarshal(out, &sb); err != nil {
		g.t.Fatal(err)
	}
	sb.caFile = filepath.Join(g.dir, "ca-"+sb.ID+".pem")
	if err := os.WriteFile(sb.caFile, []byte(sb.CAPEM), 0o644); err != nil {
		g.t.Fatal(err)
	}
	return &sb
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) WriteString(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
