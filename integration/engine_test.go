package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const openClasses = `  default:
    enable_internet: true
  pinned:
    allowed_hosts: ["127.0.0.1"]
    outbound_by_host:
      "127.0.0.1": { handler: inject_header, params: { header: "X-Auth", secret: "sandboxes/{sandbox_id}", field: "token", prefix: "T " } }
`

func engineSetup(t *testing.T, secrets map[string]map[string]string) (*gateway, *echo, string, string) {
	t.Helper()
	ca := newUpstreamCA(t)
	e := &echo{}
	up := ca.startTLS(t, e)
	port := strings.TrimPrefix(up.URL, "https://127.0.0.1:")
	g := startGateway(t, gatewayConfig{Classes: openClasses, CAFiles: []string{ca.PEMFile}, Secrets: secrets})
	return g, e, up.URL, "https://localhost:" + port
}

// The Cloudflare Sandbox announcement's scenario, on the real binary: a
// catch-all allow_hosts handler, then deny_all, with no restart.
func TestCatchAllAllowHostsThenDenyAll(t *testing.T) {
	g, e, allowedURL, otherURL := engineSetup(t, nil)
	sb := g.createSandbox(map[string]any{"id": "cf"})
	g.mustAPI(200, "PUT", "/v1/sandboxes/cf/outbound", map[string]any{
		"handler": "allow_hosts", "params": map[string]any{"allowed_hostnames": []string{"127.0.0.1"}}})

	r := curl(t, append(viaProxy(g, sb), allowedURL+"/ok")...)
	if r.Status != 200 || e.last(t).Path != "/ok" {
		t.Fatalf("allowed host: got %d (%s) %s, want 200 reaching the upstream", r.Status, r.Stderr, r.Body)
	}
	r = curl(t, append(viaProxy(g, sb), otherURL+"/no")...)
	if r.Status != 403 || parseDeny(t, r.Body).Reason != "handler" {
		t.Fatalf("other host: got %d %s, want 403 reason handler", r.Status, r.Body)
	}
	g.mustAPI(200, "PUT", "/v1/sandboxes/cf/outbound", map[string]any{"handler": "deny_all"})
	r = curl(t, append(viaProxy(g, sb), allowedURL+"/again")...)
	if r.Status != 403 || r.Header("Sandgate-Decision") != "deny; reason=handler" {
		t.Fatalf("after deny_all: got %d %q, want 403 deny; reason=handler", r.Status, r.Header("Sandgate-Decision"))
	}
	for _, s := range e.all() {
		if s.Path == "/no" || s.Path == "/again" {
			t.Errorf("upstream got %s", s.Path)
		}
	}
	g.mustAPI(204, "DELETE", "/v1/sandboxes/cf/outbound", nil)
	if r = curl(t, append(viaProxy(g, sb), allowedURL+"/open")...); r.Status != 200 {
		t.Fatalf("after clearing the catch-all: got %d, want 200 (class enable_internet)", r.Status)
	}
}

func TestClassBindingInjectsSecretPerSandbox(t *testing.T) {
	g, e, allowedURL, _ := engineSetup(t, map[string]map[string]string{
		"sandboxes/a": {"token": "tok-a-1234"}, "sandboxes/b": {"token": "tok-b-5678"}})
	a := g.createSandbox(map[string]any{"id": "a", "class": "pinned"})
	b := g.createSandbox(map[string]any{"id": "b", "class": "pinned"})
	for _, tc := range []struct {
		sb   *sandbox
		want string
	}{{a, "T tok-a-1234"}, {b, "T tok-b-5678"}} {
		r := curl(t, append(viaProxy(g, tc.sb), "-H", "X-Auth: forged", allowedURL+"/x")...)
		if r.Status != 200 {
			t.Fatalf("%s: got %d %s", tc.sb.ID, r.Status, r.Body)
		}
		if got := e.last(t).Headers["X-Auth"]; len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: upstream got X-Auth %q, want [%q]", tc.sb.ID, got, tc.want)
		}
	}
}

func TestHandlerFailuresFailClosed(t *testing.T) {
	g, e, allowedURL, _ := engineSetup(t, map[string]map[string]string{"sandboxes/f": {"token": "supersecret-value-42"}})
	sb := g.createSandbox(map[string]any{"id": "f"})
	scripts := map[string]string{
		"raiser":  `return function(req, ctx) local s = secrets.get("sandboxes/f", "token") error("boom with " .. s) end`,
		"spin":    `return function(req, ctx) while true do end end`,
		"nothing": `return function(req, ctx) return 42 end`,
		"missing": `return function(req, ctx) local s = secrets.get("sandboxes/none", "token") return fetch(req) end`,
		"bomb":    `return function(req, ctx) local s = string.rep("a", 5e8) return response{status=200, body=s} end`,
	}
	for name, src := range scripts {
		g.mustAPI(200, "PUT", "/v1/scripts/"+name, src)
	}
	for name := range scripts {
		t.Run(name, func(t *testing.T) {
			g.mustAPI(200, "PUT", "/v1/sandboxes/f/outbound", map[string]any{"handler": name})
			r := curl(t, append(viaProxy(g, sb), allowedURL+"/"+name)...)
			if r.Status != 502 || r.Header("Sandgate-Decision") != "error; reason=handler_error" {
				t.Fatalf("got %d %q, want 502 error; reason=handler_error", r.Status, r.Header("Sandgate-Decision"))
			}
			if !strings.Contains(r.Body, name) {
				t.Errorf("body %q does not name the handler", r.Body)
			}
			for _, leak := range []string{"supersecret-value-42", "stack traceback", ".lua:", "boom", "goroutine"} {
				if strings.Contains(r.Body+r.Headers, leak) {
					t.Errorf("the sandbox saw %q: %s", leak, r.Body)
				}
			}
		})
	}
	for _, s := range e.all() {
		t.Errorf("upstream got %s: a failing handler forwarded", s.Path)
	}
	if strings.Contains(g.Logs(), "supersecret-value-42") {
		t.Error("the secret value reached the gateway log")
	}
	if !strings.Contains(g.Logs(), "[redacted]") {
		t.Error("the log does not show the redacted handler error")
	}
}

func TestScriptAdminErrors(t *testing.T) {
	g, _, _, _ := engineSetup(t, nil)
	g.createSandbox(map[string]any{"id": "s"})
	code, body := g.api("PUT", "/v1/scripts/deny_all", "return function(req, ctx) return deny( end")
	if code != 422 || !strings.Contains(string(body), "deny_all") {
		t.Fatalf("bad script: got %d %s, want 422 naming the script", code, body)
	}
	src := g.mustAPI(200, "GET", "/v1/scripts/deny_all", nil)
	if !strings.Contains(string(src), "deny(") || strings.Contains(string(src), "deny( end") {
		t.Fatalf("the old deny_all must stay: %s", src)
	}
	if code, _ := g.api("PUT", "/v1/sandboxes/s/outbound", map[string]any{"handler": "no_such"}); code != 422 {
		t.Errorf("binding an unknown handler: got %d, want 422", code)
	}
	g.mustAPI(200, "PUT", "/v1/sandboxes/s/outbound-by-host/10.0.0.0%2F8", map[string]any{"handler": "deny_all"})
	if code, _ := g.api("DELETE", "/v1/scripts/deny_all", nil); code != 409 {
		t.Errorf("deleting a bound script: got %d, want 409", code)
	}
	g.mustAPI(204, "DELETE", "/v1/sandboxes/s/outbound-by-host/10.0.0.0%2F8", nil)
	g.mustAPI(204, "DELETE", "/v1/scripts/deny_all", nil)
	if code, _ := g.api("GET", "/v1/scripts/deny_all", nil); code != 404 {
		t.Errorf("deleted script: got %d, want 404", code)
	}
	if _, err := os.Stat(filepath.Join(g.ScriptDir, "deny_all.lua")); !os.IsNotExist(err) {
		t.Errorf("deny_all.lua still on disk: %v", err)
	}
	// A broken file makes the whole reload fail; the old set stays.
	g.mustAPI(200, "PUT", "/v1/sandboxes/s/outbound", map[string]any{"handler": "allow_hosts",
		"params": map[string]any{"allowed_hostnames": []string{"example.com"}}})
	os.WriteFile(filepath.Join(g.ScriptDir, "broken.lua"), []byte("return function("), 0o644)
	os.Remove(filepath.Join(g.ScriptDir, "allow_hosts.lua"))
	code, body = g.api("POST", "/v1/scripts/reload", nil)
	if code != 422 || !strings.Contains(string(body), "broken") || !strings.Contains(string(body), "allow_hosts") {
		t.Fatalf("reload: got %d %s, want 422 listing broken.lua and the missing bound allow_hosts", code, body)
	}
	g.mustAPI(200, "GET", "/v1/scripts/allow_hosts", nil)
}

// Scripts are swapped ten times a second for ten seconds while clients
// send requests: none fails, and each response came from one version.
func TestScriptSwapUnderLoad(t *testing.T) {
	g, e, allowedURL, _ := engineSetup(t, nil)
	sb := g.createSandbox(map[string]any{"id": "swap"})
	version := func(v string) string {
		return `return function(req, ctx) req:set_header("X-Version", "` + v + `") return fetch(req) end`
	}
	g.mustAPI(200, "PUT", "/v1/scripts/swapme", version("v1"))
	g.mustAPI(200, "PUT", "/v1/sandboxes/swap/outbound", map[string]any{"handler": "swapme"})

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var failures []string
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := proxyClient(t, g, sb)
			for i := 0; i < 5000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v, err := getVersion(c, allowedURL)
				if err == nil && (v == "v1" || v == "v2") {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				mu.Lock()
				failures = append(failures, fmt.Sprintf("version %q err %v", v, err))
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		v := "v1"
		if i%2 == 1 {
			v = "v2"
		}
		if i%4 < 2 {
			g.mustAPI(200, "PUT", "/v1/scripts/swapme", version(v))
		} else {
			os.WriteFile(filepath.Join(g.ScriptDir, "swapme.lua"), []byte(version(v)), 0o644)
			g.mustAPI(200, "POST", "/v1/scripts/reload", nil)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests failed: %v", failed.Load(), ok.Load()+failed.Load(), failures[:min(5, len(failures))])
	}
	if ok.Load() < 20 {
		t.Fatalf("only %d requests went through", ok.Load())
	}
	t.Logf("%d requests, %d upstream hits, no failures", ok.Load(), len(e.all()))
}

func getVersion(c *http.Client, url string) (string, error) {
	res, err := c.Get(url + "/v")
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		return "", fmt.Errorf("status %d: %s", res.StatusCode, b)
	}
	var s seen
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		return "", err
	}
	if v := s.Headers["X-Version"]; len(v) == 1 {
		return v[0], nil
	}
	return "", fmt.Errorf("no X-Version in %v", s.Headers)
}

func TestSIGHUPReloads(t *testing.T) {
	g, _, allowedURL, _ := engineSetup(t, nil)
	sb := g.createSandbox(map[string]any{"id": "hup"})
	os.WriteFile(filepath.Join(g.ScriptDir, "teapot.lua"), []byte(`return function(req, ctx) return response{status=418, body="tea"} end`), 0o644)
	if err := g.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := g.api("PUT", "/v1/sandboxes/hup/outbound", map[string]any{"handler": "teapot"})
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("teapot never became bindable after SIGHUP (last status %d)", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := curl(t, append(viaProxy(g, sb), allowedURL)...)
	if r.Status != 418 || r.Body != "tea" {
		t.Fatalf("got %d %q, want 418 tea", r.Status, r.Body)
	}
}

// The file backend re-reads its file when it changes: the very next
// request uses the new value.
func TestFileSecretsRereadOnChange(t *testing.T) {
	g, e, allowedURL, _ := engineSetup(t, map[string]map[string]string{"sandboxes/rot": {"token": "file-v1-aaaa"}})
	sb := g.createSandbox(map[string]any{"id": "rot", "class": "pinned"})
	for i, v := range []string{"file-v1-aaaa", "file-v2-bbbb", "file-v3-cccc"} {
		if i > 0 {
			writeJSONFile(t, filepath.Join(g.dir, "secrets.json"), map[string]map[string]string{"sandboxes/rot": {"token": v}})
		}
		if r := curl(t, append(viaProxy(g, sb), allowedURL+"/rot")...); r.Status != 200 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		if got := e.last(t).Headers["X-Auth"]; len(got) != 1 || got[0] != "T "+v {
			t.Fatalf("version %d: upstream got %q, want %q", i+1, got, "T "+v)
		}
	}
}
