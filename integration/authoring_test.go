package integration

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// echoParams answers with its ctx.params as JSON, without contacting anyone.
const echoParams = `return {
  params = {
    header = { type = "string", required = true },
    prefix = { type = "string", default = "Bearer " },
    hosts  = { type = "list", default = { "a.example" } },
  },
  handler = function(req, ctx) return response{ status = 200, body = json.encode(ctx.params) } end,
}
`

// tag answers with the name in its params: which binding ran.
const tag = `return {
  params = { name = { type = "string", required = true } },
  handler = function(req, ctx) return response{ status = 200, headers = { ["X-Binding"] = ctx.params.name } } end,
}
`

// exitCode runs the binary and returns its output and exit status.
func exitCode(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := runBinary(t, args...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &ee):
		return out, ee.ExitCode()
	}
	t.Fatalf("running sandgate %v: %v", args, err)
	return "", -1
}

// The shipped handlers' own tests pass: `make test` runs them this way.
func TestAuthoringShippedScriptTests(t *testing.T) {
	out, code := exitCode(t, "test", filepath.Join(repoRoot, "scripts"))
	if code != 0 || !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Fatalf("sandgate test scripts/: exit %d:\n%s", code, out)
	}
	entries, _ := os.ReadDir(filepath.Join(repoRoot, "scripts"))
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".lua") && !strings.HasSuffix(name, "_test.lua") {
			if _, err := os.Stat(filepath.Join(repoRoot, "scripts", strings.TrimSuffix(name, ".lua")+"_test.lua")); err != nil {
				t.Errorf("scripts/%s has no test file: %v", name, err)
			}
		}
	}
}

func TestAuthoringTestCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("tag.lua", tag)
	good := write("good_test.lua", `test("names the binding", function()
  local res, sent = run("tag", { url = "https://example.com/" }, { params = { name = "x" } })
  eq(res:header("X-Binding"), "x")
  eq(#sent, 0)
end)
`)
	bad := write("bad_test.lua", `test("passes", function() end)

test("wrong status", function()
  eq(run("tag", { url = "https://example.com/" }, { params = { name = "x" } }).status, 404)
end)
`)
	broken := write("broken_test.lua", "test(\"x\", function()\n  eq(1, \nend)\n")

	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{name: "pass", args: []string{good}, code: 0, want: []string{"1 passed, 0 failed"}},
		{name: "pass verbose", args: []string{"-v", good}, code: 0,
			want: []string{"--- PASS: good_test.lua/names the binding (", "1 passed, 0 failed"}},
		{name: "fail", args: []string{good, bad}, code: 1, want: []string{
			"--- FAIL: bad_test.lua/wrong status (",
			"    bad_test.lua:4: eq: values differ\n",
			"at top level: got 200, want 404",
			"2 passed, 1 failed"}},
		{name: "run filter", args: []string{"-run", "bad_test.lua/pass", good, bad}, code: 0, want: []string{"1 passed, 0 failed"}},
		{name: "does not compile", args: []string{good, broken}, code: 2, want: []string{"broken_test.lua:3:1: syntax error near 'end'"}},
		{name: "usage", args: []string{"-nope"}, code: 2, want: []string{"Usage: sandgate test"}},
		{name: "folder", args: []string{dir}, code: 2, want: []string{"broken_test.lua:3:1", "2 passed, 1 failed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, code := exitCode(t, append([]string{"test"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("got:\n%s\nwant it to contain %q", out, w)
				}
			}
		})
	}
}

func TestAuthoringDeclaredParams(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: `  default:
    outbound_by_host:
      "class.example": { handler: inject_header, params: { header: X-Key, secret: s, field: f } }
`})
	g.mustAPI(200, "PUT", "/v1/scripts/echo_params", echoParams)
	sb := g.createSandbox(map[string]any{"id": "sb1"})
	for _, tc := range []struct{ name, path, body, want string }{
		{"missing", "/v1/sandboxes/sb1/outbound", `{"handler":"echo_params"}`, "params.header: required"},
		{"wrong type", "/v1/sandboxes/sb1/outbound", `{"handler":"echo_params","params":{"header":1}}`, "params.header: want string, got number"},
		{"undeclared", "/v1/sandboxes/sb1/outbound-by-host/api.example.com", `{"handler":"echo_params","params":{"header":"h","hedaer":"x"}}`, "params.hedaer: not declared"},
		{"shipped script", "/v1/sandboxes/sb1/outbound", `{"handler":"inject_header","params":{"header":"X"}}`, "params.field: required; params.secret: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := g.api("PUT", tc.path, tc.body)
			if code != 422 || !strings.Contains(string(body), tc.want) {
				t.Errorf("got %d %s, want 422 naming %q", code, body, tc.want)
			}
		})
	}

	// Defaults reach ctx.params.
	g.mustAPI(200, "PUT", "/v1/sandboxes/sb1/outbound-by-host/api.example.com", map[string]any{
		"handler": "echo_params", "params": map[string]any{"header": "X-Key"}})
	r := curl(t, append(viaProxy(g, sb), "http://api.example.com/")...)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Body), &got); r.Status != 200 || err != nil {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
	if got["header"] != "X-Key" || got["prefix"] != "Bearer " || len(got["hosts"].([]any)) != 1 {
		t.Errorf("ctx.params: got %v, want header X-Key with the defaults of prefix and hosts", got)
	}

	// A replacement that breaks a binding is refused, by PUT, reload and SIGHUP.
	breaking := strings.Replace(echoParams, `prefix = { type = "string", default = "Bearer " }`, `prefix = { type = "string", required = true }`, 1)
	code, body := g.api("PUT", "/v1/scripts/echo_params", breaking)
	if code != 422 || !strings.Contains(string(body), "sandbox sb1 outbound-by-host api.example.com: params.prefix: required") {
		t.Errorf("PUT of a breaking script: got %d %s, want 422 naming the binding", code, body)
	}
	code, body = g.api("PUT", "/v1/scripts/inject_header", `return { params = {}, handler = function() return deny() end }`)
	if code != 422 || !strings.Contains(string(body), "class default outbound_by_host class.example: params.field: not declared") {
		t.Errorf("PUT over a class binding: got %d %s, want 422 naming the class binding", code, body)
	}
	if err := os.WriteFile(filepath.Join(g.ScriptDir, "echo_params.lua"), []byte(breaking), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body = g.api("POST", "/v1/scripts/reload", nil); code != 422 || !strings.Contains(string(body), "params.prefix: required") {
		t.Errorf("reload: got %d %s, want 422", code, body)
	}
	refused := "sandbox sb1 outbound-by-host api.example.com: params.prefix: required"
	before := strings.Count(g.Logs(), refused) // the reload above logged it once
	if err := g.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitForLog(t, g, refused, before+1)
	if r := curl(t, append(viaProxy(g, sb), "http://api.example.com/")...); r.Status != 200 || !strings.Contains(r.Body, `"prefix":"Bearer "`) {
		t.Errorf("after the refused changes: got %d %q, want the old script", r.Status, r.Body)
	}
}

// A class binding whose params the script refuses stops check and serve,
// naming the binding's line.
func TestAuthoringParamsInConfig(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, filepath.Join(repoRoot, "scripts"), filepath.Join(dir, "scripts"))
	cfg := filepath.Join(dir, "sandgate.yaml")
	yaml := "version: 1\nscripts_dir: ./scripts\nsecrets: {backend: file, file: {path: ./s.json}}\n" +
		"admin: {listen: 127.0.0.1:0, token_file: ./admin.token}\nproxy: {listen: 127.0.0.1:0}\n" +
		"classes:\n  default:\n    outbound_by_host:\n      \"{api,uploads}.example.com\":\n        handler: inject_header\n        params: { header: X-Key, secret: s }\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	writeJSONFile(t, filepath.Join(dir, "s.json"), map[string]any{})
	want := "sandgate.yaml:9: classes.default.outbound_by_host.{api,uploads}.example.com: handler inject_header: params.field: required"
	for _, cmd := range []string{"check", "serve"} {
		out, code := exitCode(t, cmd, "-config", cfg)
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d:\n%s\nwant exit 1 and %q", cmd, code, out, want)
		}
	}
}

// Globs through the proxy: of the runtime bindings that match a host, the
// most specific answers (literal characters weigh; '?', sets and '*'
// nothing; a {...} group as its lightest alternative; ties by byte order).
func TestAuthoringGlobWeights(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: "  default: {}\n"})
	g.mustAPI(200, "PUT", "/v1/scripts/tag", tag)
	sb := g.createSandbox(map[string]any{"id": "globs"})
	for _, pat := range []string{"{api,uploads}.github.com", "[a-z]pi.github.com", "a?i.github.com", "*.github.com", "api.github.*"} {
		bind(g, "globs", pat, "tag", map[string]any{"name": pat})
	}
	which := func(host string) string {
		t.Helper()
		r := curl(t, append(viaProxy(g, sb), "http://"+host+"/")...)
		if r.Status != 200 {
			t.Fatalf("%s: got %d %s", host, r.Status, r.Body)
		}
		return r.Header("X-Binding")
	}
	for _, tc := range []struct{ host, want string }{
		{"uploads.github.com", "{api,uploads}.github.com"},
		{"www.github.com", "*.github.com"},
		{"api.github.io", "api.github.*"},
		{"API.GitHub.com", "{api,uploads}.github.com"},
	} {
		if got := which(tc.host); got != tc.want {
			t.Errorf("%s: got binding %q, want %q", tc.host, got, tc.want)
		}
	}
	// For api.github.com, drop the winner each time: the next most specific answers.
	for _, want := range []string{"{api,uploads}.github.com", "[a-z]pi.github.com", "a?i.github.com", "*.github.com"} {
		if got := which("api.github.com"); got != want {
			t.Fatalf("api.github.com: got binding %q, want %q", got, want)
		}
		g.mustAPI(204, "DELETE", "/v1/sandboxes/globs/outbound-by-host/"+url.PathEscape(want), nil)
	}
	code, body := g.api("PUT", "/v1/sandboxes/globs/outbound-by-host/"+url.PathEscape("{api,uploads.github.com"), map[string]any{"handler": "tag", "params": map[string]any{"name": "x"}})
	if code != 400 || !strings.Contains(string(body), `{api,uploads.github.com\": missing '}'`) {
		t.Errorf("a pattern that does not compile: got %d %s, want 400 naming it", code, body)
	}
}

// check names the file, line and column of a Lua syntax error and the line
// of a bad pattern; the admin API names the file, line and column too.
func TestAuthoringErrorPositions(t *testing.T) {
	dir := t.TempDir()
	scripts := filepath.Join(dir, "scripts")
	copyDir(t, filepath.Join(repoRoot, "scripts"), scripts)
	if err := os.WriteFile(filepath.Join(scripts, "bad.lua"), []byte("return function(req, ctx)\n  local x = = 1\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sandgate.yaml")
	base := "version: 1\nscripts_dir: ./scripts\nsecrets: {backend: file, file: {path: ./s.json}}\n"
	os.WriteFile(cfg, []byte(base), 0o644)
	out, code := exitCode(t, "check", "-config", cfg)
	if want := filepath.Join(scripts, "bad.lua") + ":2:13: syntax error near '='"; code != 1 || !strings.Contains(out, want) {
		t.Errorf("check: exit %d:\n%s\nwant %q", code, out, want)
	}
	os.Remove(filepath.Join(scripts, "bad.lua"))
	os.WriteFile(cfg, []byte(base+"classes:\n  default:\n    denied_hosts:\n      - \"*.ok.example\"\n      - \"node[9-0].example\"\n"), 0o644)
	out, code = exitCode(t, "check", "-config", cfg)
	if want := "sandgate.yaml:8: classes.default.denied_hosts[1]: hostpat: \"node[9-0].example\": bad glob"; code != 1 || !strings.Contains(out, want) {
		t.Errorf("check: exit %d:\n%s\nwant %q", code, out, want)
	}

	g := startGateway(t, gatewayConfig{Classes: "  default: {}\n"})
	code2, body := g.api("PUT", "/v1/scripts/bad", "return function(req, ctx)\n  return deny(\nend\n")
	if code2 != 422 || !strings.Contains(string(body), "bad.lua:3:1: syntax error near 'end'") {
		t.Errorf("PUT: got %d %s, want 422 with bad.lua:3:1", code2, body)
	}
}

// waitForLog waits (up to 10 seconds) for the gateway to have logged text
// n times.
func waitForLog(t *testing.T, g *gateway, text string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(g.Logs(), text) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the gateway never logged %q", text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
