package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sandgate/sandgate/integration/testbin"
)

// gateway is a running sandgate.
type gateway struct {
	Admin   string
	Token   string
	cmd     *exec.Cmd
	started time.Time
	ready   time.Duration // start to the listen line (state loaded)
	loaded  time.Duration // the "state loaded" line's took
}

var (
	listenLine = regexp.MustCompile(`proxy on (\S+), admin API on (\S+),`)
	tookField  = regexp.MustCompile(`"msg":"state loaded".*"took":"([^"]+)"`)
)

// startGateway writes a config with stateYAML into dir and starts bin.
func startGateway(bin, dir, stateYAML string) (*gateway, error) {
	scripts := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(scripts, 0o755); err != nil {
		return nil, err
	}
	src := filepath.Join(testbin.RepoRoot, "scripts")
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(src, e.Name())); err == nil && !e.IsDir() {
			_ = os.WriteFile(filepath.Join(scripts, e.Name()), b, 0o644)
		}
	}
	_ = os.WriteFile(filepath.Join(dir, "secrets.json"), []byte("{}"), 0o600)
	cfg := fmt.Sprintf(`version: 1
proxy: { listen: 127.0.0.1:0 }
admin: { listen: 127.0.0.1:0 }
scripts_dir: ./scripts
secrets: { backend: file, file: { path: ./secrets.json } }
log: { level: info }
classes:
  default: { allowed_hosts: ["127.0.0.1"] }
%s
`, stateYAML)
	if err := os.WriteFile(filepath.Join(dir, "sandgate.yaml"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	g := &gateway{Token: hex.EncodeToString(b)}
	g.cmd = exec.Command(bin, "serve", "-config", filepath.Join(dir, "sandgate.yaml"))
	g.cmd.Env = append(os.Environ(), "SANDGATE_ADMIN_TOKEN="+g.Token)
	stdout, _ := g.cmd.StdoutPipe()
	var logs syncBuffer
	logf, err := os.Create(filepath.Join(dir, "gateway.log"))
	if err != nil {
		return nil, err
	}
	g.cmd.Stderr = io.MultiWriter(logf, &logs)
	g.started = time.Now()
	if err := g.cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[2]
			}
		}
	}()
	select {
	case a := <-addr:
		g.ready = time.Since(g.started)
		g.Admin = "http://" + a
	case <-time.After(60 * time.Second):
		g.stop()
		return nil, fmt.Errorf("gateway in %s did not start in 60s", dir)
	}
	time.Sleep(50 * time.Millisecond) // the log line is written before the listen line; let it land
	if m := tookField.FindStringSubmatch(logs.String()); m != nil {
		g.loaded, _ = time.ParseDuration(m[1])
	}
	return g, nil
}

func (g *gateway) stop() {
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = g.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = g.cmd.Process.Kill()
		<-done
	}
}

// rssMB reads the process's resident set from /proc.
func (g *gateway) rssMB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

var client = &http.Client{Timeout: 10 * time.Second}

// api calls the admin API and returns the status and body.
func (g *gateway) api(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.Admin+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

// syncBuffer collects a process's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
