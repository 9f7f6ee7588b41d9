package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sandgate/sandgate/admin"
	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
)

// fakeScripts is the admin API's view of a script registry; a source
// containing "syntax error" does not compile.
type fakeScripts struct {
	mu  sync.Mutex
	src map[string][]byte
}

func (f *fakeScripts) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.src))
	for n := range f.src {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
func (f *fakeScripts) Source(n string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.src[n]
	return b, ok
}
func (f *fakeScripts) SHA256(n string) (string, bool) {
	_, ok := f.Source(n)
	return strings.Repeat("ab", 32), ok
}
func (f *fakeScripts) Has(n string) bool                     { _, ok := f.Source(n); return ok }
func (f *fakeScripts) Params(n string) (engine.Params, bool) { _, ok := f.Source(n); return nil, ok }
func (f *fakeScripts) CheckParams(string, any) error         { return nil }
func (f *fakeScripts) Put(n string, src []byte, _ []engine.Binding) error {
	if bytes.Contains(src, []byte("syntax error")) {
		return &engine.LoadError{Errors: []engine.ScriptError{{Name: n, File: n + ".lua", Line: 1, Msg: "syntax error near 'x'"}}}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.src[n] = src
	return nil
}
func (f *fakeScripts) Delete(n string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.src[n]; !ok {
		return engine.ErrNotFound
	}
	delete(f.src, n)
	return nil
}
func (f *fakeScripts) Reload([]engine.Binding) error { return nil }

const testToken = "admin-test-token"

// startAdmin serves a real admin API over a real registry.
func startAdmin(t *testing.T) *httptest.Server {
	t.Helper()
	reg := sandbox.NewRegistry(map[string]*policy.Class{
		"default": {Name: "default", Intercept: true, DenyStatus: 403},
	})
	api := admin.New(admin.Options{Token: testToken, Registry: reg, ProxyAddr: "127.0.0.1:3128",
		Scripts: &fakeScripts{src: map[string][]byte{"deny_all": []byte("return function() return deny() end\n")}},
		Status:  func() map[string]any { return map[string]any{"version": "test", "proxy_addr": "127.0.0.1:3128"} }})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	t.Setenv("SANDGATE_ADMIN_URL", srv.URL)
	t.Setenv("SANDGATE_ADMIN_TOKEN", testToken)
	return srv
}

type ctlRun struct {
	code           int
	stdout, stderr string
}

func runCtl(args ...string) ctlRun {
	var out, errb bytes.Buffer
	code := run(append([]string{"ctl"}, args...), &out, &errb)
	return ctlRun{code, out.String(), errb.String()}
}

func TestCtlRoundTrip(t *testing.T) {
	startAdmin(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "my_auth.lua")
	if err := os.WriteFile(script, []byte("return function(req) return fetch(req) end\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string // in stdout
	}{
		{[]string{"sandbox", "create", "sb1", "--label", "team=a"}, "proxy_url:"},
		{[]string{"sandbox", "list"}, "sb1"},
		{[]string{"sandbox", "show", "sb1"}, "team=a"},
		{[]string{"sandbox", "env", "sb1"}, `export HTTPS_PROXY='http://sb1:'"${SANDGATE_SANDBOX_TOKEN}"'@127.0.0.1:3128'`},
		{[]string{"sandbox", "ca", "sb1"}, "BEGIN CERTIFICATE"},
		{[]string{"outbound", "set", "sb1", "deny_all", "--param", "a=b"}, `outbound: deny_all {"a":"b"}`},
		{[]string{"outbound", "clear", "sb1"}, "cleared"},
		{[]string{"by-host", "set", "sb1", "10.0.0.0/8", "deny_all"}, "10.0.0.0/8"},
		{[]string{"sandbox", "show", "sb1"}, "10.0.0.0/8"},
		{[]string{"by-host", "clear", "sb1", "10.0.0.0/8"}, "cleared"},
		{[]string{"hosts", "allow", "sb1", "a.example", "*.b.example"}, "allowed_hosts: a.example, *.b.example"},
		{[]string{"hosts", "allow", "sb1", "--add", "c.example"}, "allowed_hosts: a.example, *.b.example, c.example"},
		{[]string{"hosts", "allow", "sb1", "--none"}, "allowed_hosts: (none)"},
		{[]string{"hosts", "allow", "sb1", "--reset"}, "allowed_hosts: -"},
		{[]string{"hosts", "deny", "sb1", "evil.example"}, "denied_hosts: evil.example"},
		{[]string{"hosts", "deny", "sb1", "--reset"}, "denied_hosts: -"},
		{[]string{"scripts", "put", script}, "script my_auth loaded"},
		{[]string{"scripts", "list"}, "my_auth"},
		{[]string{"scripts", "show", "my_auth"}, "fetch(req)"},
		{[]string{"scripts", "reload"}, "reloaded 2 scripts"},
		{[]string{"scripts", "delete", "my_auth"}, "deleted script my_auth"},
		{[]string{"secrets", "flush"}, "flushed"},
		{[]string{"status"}, "127.0.0.1:3128"},
		{[]string{"health"}, "ok"},
		{[]string{"sandbox", "delete", "sb1"}, "deleted sandbox sb1"},
	} {
		r := runCtl(tc.args...)
		if r.code != 0 || !strings.Contains(r.stdout, tc.want) {
			t.Errorf("ctl %s: got exit %d, stdout %q, stderr %q; want 0 and %q", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

func TestCtlJSONOutput(t *testing.T) {
	startAdmin(t)
	r := runCtl("-o", "json", "sandbox", "create", "sb2")
	var created struct {
		ID, Token string
		Env       map[string]string
	}
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.ID != "sb2" || created.Token == "" {
		t.Fatalf("got %q (%v), want the created sandbox as JSON", r.stdout, err)
	}
	r = runCtl("sandbox", "show", "sb2", "-o", "json")
	var shown struct {
		ID     string `json:"id"`
		Policy struct {
			DenyStatus int `json:"deny_status"`
		} `json:"policy"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil || shown.ID != "sb2" || shown.Policy.DenyStatus != 403 {
		t.Errorf("got %q (%v), want sb2's policy as JSON", r.stdout, err)
	}
}

func TestCtlErrors(t *testing.T) {
	srv := startAdmin(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string // in stderr
	}{
		{"connection refused", []string{"status"}, map[string]string{"SANDGATE_ADMIN_URL": deadURL}, 1,
			"cannot connect to the admin API at " + deadURL + ": connection refused"},
		{"wrong token", []string{"status"}, map[string]string{"SANDGATE_ADMIN_TOKEN": "nope"}, 1, "check SANDGATE_ADMIN_TOKEN"},
		{"no token", []string{"sandbox", "list"}, map[string]string{"SANDGATE_ADMIN_TOKEN": ""}, 1, "set SANDGATE_ADMIN_TOKEN"},
		{"flag beats env", []string{"--url", srv.URL, "status"}, map[string]string{"SANDGATE_ADMIN_URL": deadURL}, 0, ""},
		{"unknown sandbox", []string{"sandbox", "show", "ghost"}, nil, 1, `unknown sandbox "ghost" (404`},
		{"unknown handler", []string{"outbound", "set", "ghost", "x"}, nil, 1, "404"},
		{"bad script", []string{"scripts", "put", "bad", "-"}, nil, 1, "syntax error near"},
		{"missing argument", []string{"sandbox", "show"}, nil, 2, "missing arguments"},
		{"too many arguments", []string{"sandbox", "delete", "a", "b"}, nil, 2, "too many arguments"},
		{"unknown command", []string{"frobnicate"}, nil, 2, `unknown command "frobnicate"`},
		{"unknown verb", []string{"sandbox", "frob"}, nil, 2, `unknown command "sandbox frob"`},
		{"unknown flag", []string{"status", "--bogus"}, nil, 2, "flag provided but not defined"},
		{"bad output", []string{"-o", "yaml", "status"}, nil, 2, `-o "yaml"`},
		{"bad params", []string{"outbound", "set", "x", "y", "--params", "[1]"}, nil, 2, "--params"},
		{"bad decision", []string{"watch", "--decision", "maybe"}, nil, 2, `--decision "maybe"`},
		{"hosts needs something", []string{"hosts", "allow", "x"}, nil, 2, "give patterns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if tc.name == "bad script" {
				stdin := os.Stdin
				f, _ := os.CreateTemp(t.TempDir(), "src")
				_, _ = f.WriteString("syntax error")
				_, _ = f.Seek(0, 0)
				os.Stdin = f
				defer func() { os.Stdin = stdin }()
			}
			r := runCtl(tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("got exit %d, stderr %q; want %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
}

func TestCtlHelpEverywhere(t *testing.T) {
	t.Setenv("SANDGATE_ADMIN_TOKEN", "do-not-print-me")
	for _, cmd := range commands {
		args := append(strings.Fields(cmd.name), "--help")
		r := runCtl(args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage: sandgate ctl "+cmd.name) {
			t.Errorf("ctl %s --help: got exit %d, stdout %q", cmd.name, r.code, r.stdout)
		}
		if strings.Contains(r.stdout, "do-not-print-me") {
			t.Errorf("ctl %s --help prints the admin token", cmd.name)
		}
	}
	for _, args := range [][]string{{"--help"}, {"sandbox", "--help"}} {
		if r := runCtl(args...); r.code != 0 || !strings.Contains(r.stdout, "sandbox create") {
			t.Errorf("ctl %v: got exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
}

func TestCtlWriteEnvIsSourceable(t *testing.T) {
	startAdmin(t)
	dir := filepath.Join(t.TempDir(), "env")
	r := runCtl("sandbox", "create", "sb3", "--write-env", dir)
	if r.code != 0 {
		t.Fatalf("got exit %d: %s", r.code, r.stderr)
	}
	out, err := exec.Command("sh", "-c", ". "+filepath.Join(dir, "sandgate.env")+
		` && echo "$SSL_CERT_FILE $CURL_CA_BUNDLE $HTTPS_PROXY" && head -1 "$SSL_CERT_FILE"`).CombinedOutput()
	if err != nil {
		t.Fatalf("sourcing sandgate.env: %v: %s", err, out)
	}
	ca := filepath.Join(dir, "ca.pem")
	f := strings.Fields(string(out))
	if len(f) < 3 || f[0] != ca || f[1] != ca || !strings.HasPrefix(f[2], "http://sb3:") {
		t.Errorf("got %q, want both CA variables at %s and the proxy URL", out, ca)
	}
	if !strings.Contains(string(out), "BEGIN CERTIFICATE") {
		t.Errorf("ca.pem is not a certificate: %q", out)
	}
	if fi, err := os.Stat(filepath.Join(dir, "sandgate.env")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("sandgate.env: got %v %v, want mode 0600", fi.Mode(), err)
	}
}

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "'plain'"},
		{"it's", `'it'\''s'`},
		{"http://a:" + tokenPlaceholder + "@h:1", `'http://a:'"${SANDGATE_SANDBOX_TOKEN}"'@h:1'`},
	} {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}
