package integration

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ctlResult is one run of `sandgate ctl`.
type ctlResult struct {
	Code           int
	Stdout, Stderr string
}

// ctl runs `sandgate ctl args...` against g (SANDGATE_ADMIN_URL and
// SANDGATE_ADMIN_TOKEN set, env added), bounded to 30 seconds.
func ctl(t *testing.T, g *gateway, env []string, args ...string) ctlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"ctl"}, args...)...)
	cmd.Env = append(append(os.Environ(), "SANDGATE_ADMIN_URL="+g.Admin, "SANDGATE_ADMIN_TOKEN="+g.Token), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := ctlResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running sandgate ctl: %v", err)
	}
	return r
}

// mustCtl runs ctl and fails unless it exits 0 with want in its stdout.
func mustCtl(t *testing.T, g *gateway, want string, args ...string) string {
	t.Helper()
	r := ctl(t, g, nil, args...)
	if r.Code != 0 || !strings.Contains(r.Stdout, want) {
		t.Fatalf("sandgate ctl %s: got exit %d, stdout %q, stderr %q; want 0 and %q",
			strings.Join(args, " "), r.Code, r.Stdout, r.Stderr, want)
	}
	return r.Stdout
}

// curlWithEnv runs curl in a shell that sourced a sandgate.env file, so
// the proxy and the CA come from it alone.
func curlWithEnv(t *testing.T, envFile, target string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sh", "-c", `. "$1" && curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$2"`,
		"sh", envFile, target).CombinedOutput()
	if err != nil {
		t.Fatalf("curl with %s: %v: %s", envFile, err, out)
	}
	return string(out)
}

func TestCtlRoundTripsEveryRoute(t *testing.T) {
	ca := newUpstreamCA(t)
	e := &echo{}
	tlsUp := ca.startTLS(t, e)
	g := startGateway(t, gatewayConfig{Classes: opsClasses, CAFiles: []string{ca.PEMFile}})
	dir := filepath.Join(t.TempDir(), "sbx-env")
	envFile := filepath.Join(dir, "sandgate.env")

	mustCtl(t, g, "token:", "sandbox", "create", "sbx", "--label", "team=ops", "--write-env", dir)
	if got := curlWithEnv(t, envFile, tlsUp.URL+"/via-env"); got != "200" {
		t.Fatalf("curl through the written env: got %s, want 200", got)
	}
	mustCtl(t, g, "sbx", "sandbox", "list")
	mustCtl(t, g, "team=ops", "sandbox", "show", "sbx")
	mustCtl(t, g, "export HTTPS_PROXY='http://sbx:'\"${SANDGATE_SANDBOX_TOKEN}\"'@"+g.Proxy+"'", "sandbox", "env", "sbx")
	mustCtl(t, g, "BEGIN CERTIFICATE", "sandbox", "ca", "sbx")

	mustCtl(t, g, "outbound: deny_all", "outbound", "set", "sbx", "deny_all")
	if got := curlWithEnv(t, envFile, tlsUp.URL+"/caught"); got != "403" {
		t.Errorf("with deny_all as catch-all: got %s, want 403", got)
	}
	mustCtl(t, g, "cleared", "outbound", "clear", "sbx")
	mustCtl(t, g, "outbound_by_host 127.0.0.1: deny_all", "by-host", "set", "sbx", "127.0.0.1", "deny_all")
	mustCtl(t, g, "10.0.0.0/8", "by-host", "set", "sbx", "10.0.0.0/8", "allow_hosts", "--params", `{"allowed_hostnames":["x"]}`)
	if got := curlWithEnv(t, envFile, tlsUp.URL+"/bound"); got != "403" {
		t.Errorf("with deny_all bound to the host: got %s, want 403", got)
	}
	mustCtl(t, g, "cleared", "by-host", "clear", "sbx", "127.0.0.1")
	mustCtl(t, g, "cleared", "by-host", "clear", "sbx", "10.0.0.0/8")
	mustCtl(t, g, "allowed_hosts: localhost", "hosts", "allow", "sbx", "localhost")
	if got := curlWithEnv(t, envFile, tlsUp.URL+"/not-allowed"); got != "403" {
		t.Errorf("with 127.0.0.1 no longer allowed: got %s, want 403", got)
	}
	mustCtl(t, g, "allowed_hosts: localhost, 127.0.0.1", "hosts", "allow", "sbx", "--add", "127.0.0.1")
	mustCtl(t, g, "allowed_hosts: 127.0.0.1, localhost", "hosts", "allow", "sbx", "--reset")
	mustCtl(t, g, "denied_hosts: blocked.example, evil.example", "hosts", "deny", "sbx", "evil.example")
	mustCtl(t, g, "denied_hosts: blocked.example", "hosts", "deny", "sbx", "--reset")
	if got := curlWithEnv(t, envFile, tlsUp.URL+"/again"); got != "200" {
		t.Errorf("after clearing everything: got %s, want 200", got)
	}

	src := filepath.Join(t.TempDir(), "ctl_probe.lua")
	if err := os.WriteFile(src, []byte("-- ctl_probe: answers itself\nreturn function(req, ctx)\n  return response{status=200, body=\"probe\"}\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCtl(t, g, "script ctl_probe loaded", "scripts", "put", src)
	mustCtl(t, g, "ctl_probe", "scripts", "list")
	mustCtl(t, g, `body="probe"`, "scripts", "show", "ctl_probe")
	mustCtl(t, g, "reloaded", "scripts", "reload")
	mustCtl(t, g, "deleted script ctl_probe", "scripts", "delete", "ctl_probe")
	mustCtl(t, g, "flushed", "secrets", "flush")
	mustCtl(t, g, "sandboxes:", "status")
	mustCtl(t, g, "sandgate_requests_total", "metrics")
	mustCtl(t, g, "goroutine profile", "debug", "pprof", "goroutine", "--debug", "1")
	mustCtl(t, g, "ok", "health")
	mustCtl(t, g, "deleted sandbox sbx", "sandbox", "delete", "sbx")
	if out := mustCtl(t, g, "ID", "sandbox", "list"); strings.Contains(out, "sbx") {
		t.Errorf("sbx still listed after delete: %q", out)
	}
}

func TestCtlJSONOutputIsTheAPIs(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: opsClasses})
	g.createSandbox(map[string]any{"id": "j1"})
	out := mustCtl(t, g, `"id": "j1"`, "-o", "json", "sandbox", "show", "j1")
	if !strings.Contains(out, `"allowed_hosts_source": "class"`) {
		t.Errorf("got %q, want the effective policy", out)
	}
	mustCtl(t, g, `"secrets_backend": "file"`, "status", "-o", "json")
}

func TestCtlErrorMessages(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: opsClasses})
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	bad := filepath.Join(t.TempDir(), "bad.lua")
	if err := os.WriteFile(bad, []byte("return function(req, ctx)\n  return (\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want []string // in stderr
	}{
		{"gateway not running", []string{"SANDGATE_ADMIN_URL=" + deadURL}, []string{"status"}, 1,
			[]string{deadURL, "connection refused", "Is the gateway running"}},
		{"wrong token", []string{"SANDGATE_ADMIN_TOKEN=wrong"}, []string{"sandbox", "list"}, 1,
			[]string{"401", "check SANDGATE_ADMIN_TOKEN"}},
		{"unknown sandbox", nil, []string{"sandbox", "show", "ghost"}, 1, []string{`unknown sandbox "ghost"`, "404"}},
		{"unknown sandbox delete", nil, []string{"sandbox", "delete", "ghost"}, 1, []string{`unknown sandbox "ghost"`}},
		{"script does not compile", nil, []string{"scripts", "put", bad}, 1, []string{"bad.lua", "422"}},
		{"unknown handler", nil, []string{"sandbox", "create", "h1", "--class", "nope"}, 1, []string{"unknown class", "422"}},
		{"usage", nil, []string{"sandbox", "show"}, 2, []string{"missing arguments"}},
		{"unknown command", nil, []string{"sandboxes"}, 2, []string{"unknown command"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ctl(t, g, tc.env, tc.args...)
			if r.Code != tc.code {
				t.Errorf("got exit %d (stderr %q), want %d", r.Code, r.Stderr, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("got stderr %q, want it to contain %q", r.Stderr, w)
				}
			}
		})
	}
}

func TestCtlHelpOnEverySubcommand(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: opsClasses})
	top := mustCtl(t, g, "Commands:", "--help")
	var names []string
	_, list, _ := strings.Cut(top, "Commands:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	for _, line := range strings.Split(list, "\n") {
		// "  sandbox create [ID]                  create a sandbox ..."
		if len(line) < 40 {
			t.Fatalf("unexpected line %q in --help", line)
		}
		var words []string
		for _, w := range strings.Fields(line[2:38]) {
			if strings.Trim(w, "abcdefghijklmnopqrstuvwxyz-") != "" {
				break
			}
			words = append(words, w)
		}
		names = append(names, strings.Join(words, " "))
	}
	if len(names) < 20 {
		t.Fatalf("found only %d commands in --help: %q", len(names), top)
	}
	for _, n := range names {
		out := mustCtl(t, g, "Usage: sandgate ctl "+n, append(strings.Fields(n), "--help")...)
		if strings.Contains(out, g.Token) {
			t.Errorf("ctl %s --help prints the admin token", n)
		}
	}
}

// TestCtlWatchSeesDeny: a watcher started as a process prints a deny as
// it happens.
func TestCtlWatchSeesDeny(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: opsClasses})
	sb := g.createSandbox(map[string]any{"id": "watched"})
	other := g.createSandbox(map[string]any{"id": "other"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "ctl", "watch", "watched")
	cmd.Env = append(os.Environ(), "SANDGATE_ADMIN_URL="+g.Admin, "SANDGATE_ADMIN_TOKEN="+g.Token)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	errLines, outLines := readLines(stderr), readLines(stdout)
	// "watching ..." is printed once the stream is open, so nothing after it
	// is missed.
	select {
	case line := <-errLines:
		if !strings.HasPrefix(line, "watching ") {
			t.Fatalf("got %q, want the watching banner", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ctl watch did not start in 10s")
	}
	curl(t, append(viaProxy(g, other), "http://blocked.example/other")...) // filtered out
	if r := curl(t, append(viaProxy(g, sb), "http://blocked.example/seen?q=1")...); r.Status != 403 {
		t.Fatalf("got status %d, want 403", r.Status)
	}
	select {
	case line := <-outLines:
		for _, w := range []string{"deny", "403", "watched", "GET http://blocked.example/seen", "reason=denied_hosts"} {
			if !strings.Contains(line, w) {
				t.Errorf("got %q, want it to contain %q", line, w)
			}
		}
		if strings.Contains(line, "q=1") || strings.Contains(line, "other") {
			t.Errorf("got %q: a query string or another sandbox's request", line)
		}
	case <-time.After(time.Second):
		t.Fatal("ctl watch did not print the deny within a second")
	}
}
