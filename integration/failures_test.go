package integration

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAuditRequired: on a full file system audit lines are counted as lost
// and logged; with log.audit_required requests are refused with 503
// audit_unavailable until writing works again.
func TestAuditRequired(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("this test mounts a small tmpfs and needs root: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	filler := filepath.Join(dir, "filler")
	_ = exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=4k").Run() // until the file system is full
	up := httptest.NewServer(&echo{})
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: limitClasses,
		Extra: fmt.Sprintf("log:\n  audit_file: %s\n  audit_required: true\n", filepath.Join(dir, "audit.log"))})
	sb := g.createSandbox(map[string]any{"id": "aud"})
	status := func() curlResult { return curl(t, append(viaProxy(g, sb), up.URL+"/a")...) }
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := status()
		if r.Status == 503 {
			if got := r.Header("Sandgate-Decision"); got != "error; reason=audit_unavailable" {
				t.Errorf("got Sandgate-Decision %q, want error; reason=audit_unavailable", got)
			}
			break
		}
		if r.Status != 200 || time.Now().After(deadline) {
			t.Fatalf("got %d; want 200 until the first lost line, then 503", r.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := metric(scrape(t, g), "sandgate_audit_write_errors_total", nil); got < 1 {
		t.Errorf("sandgate_audit_write_errors_total: got %v, want at least 1", got)
	}
	if !strings.Contains(g.Logs(), "audit lines could not be written") {
		t.Error("no log line about the lost audit lines")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(15 * time.Second)
	for status().Status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("requests were still refused after the file system had room again")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "audit.log"))
	if !strings.Contains(string(b), `"reason":"audit_unavailable"`) {
		t.Error("the audit log does not show the refusals once it could be written again")
	}
}

// TestRateLimits: the class's rate, the runtime route (a full bucket on
// every change) and Lua buckets that belong to one sandbox.
func TestRateLimits(t *testing.T) {
	up := httptest.NewServer(&echo{})
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: `  default:
    allowed_hosts: ["127.0.0.1", "localhost"]
    rate_limit: { requests: 1, per: 1h, burst: 2 }
  free:
    allowed_hosts: ["127.0.0.1", "localhost"]
`})
	sb := g.createSandbox(map[string]any{"id": "lim"})
	get := func(sb *sandbox, path string) curlResult {
		return curl(t, append(viaProxy(g, sb), up.URL+path)...)
	}
	for i := range 2 {
		if r := get(sb, "/ok"); r.Status != 200 {
			t.Fatalf("request %d within the burst: got %d", i+1, r.Status)
		}
	}
	r := get(sb, "/over")
	if r.Status != 429 || r.Header("Sandgate-Decision") != "deny; reason=rate_limited" {
		t.Fatalf("over the rate: got %d %q, want 429 rate_limited", r.Status, r.Header("Sandgate-Decision"))
	}
	if ra, err := strconv.Atoi(r.Header("Retry-After")); err != nil || ra < 1 {
		t.Errorf("got Retry-After %q, want whole seconds, at least 1", r.Header("Retry-After"))
	}
	if d := parseDeny(t, r.Body); d.Reason != "rate_limited" || d.Sandbox != "lim" {
		t.Errorf("got deny body %+v", d)
	}
	g.mustAPI(200, "PUT", "/v1/sandboxes/lim/rate-limit", map[string]any{"requests": 1000, "per": "1s", "burst": 1000})
	for i := range 5 {
		if r := get(sb, "/runtime"); r.Status != 200 {
			t.Fatalf("runtime rate, request %d: got %d", i+1, r.Status)
		}
	}
	g.mustAPI(200, "PUT", "/v1/sandboxes/lim/rate-limit", []byte("null"))
	if r := get(sb, "/class-again"); r.Status != 200 {
		t.Fatalf("back to the class's rate: the bucket did not start full (%d)", r.Status)
	}
	if code, body := g.api("PUT", "/v1/sandboxes/lim/rate-limit", map[string]any{"requests": 1, "per": "soon"}); code != 400 || !strings.Contains(string(body), `field \"per\"`) {
		t.Errorf("a bad per: got %d %s, want 400 naming per", code, body)
	}
	if got := metric(scrape(t, g), "sandgate_requests_total", requests("deny", "rate_limited", "default", "")); got != 1 {
		t.Errorf("rate_limited counted by class: got %v, want 1", got)
	}

	// ratelimit.take: buckets of one sandbox, never shared.
	g.mustAPI(200, "PUT", "/v1/scripts/take", []byte(`return function(req, ctx)
  if ratelimit.take("calls", 0.001, 2) then return fetch(req) end
  return deny("lua_rate")
end`))
	for _, id := range []string{"one", "two"} {
		sb := g.createSandbox(map[string]any{"id": id, "class": "free"})
		bind(g, id, "127.0.0.1:"+port(t, up.URL), "take", nil)
		for i := range 2 {
			if r := get(sb, "/lua"); r.Status != 200 {
				t.Fatalf("%s: call %d within its own bucket: got %d", id, i+1, r.Status)
			}
		}
		if r := get(sb, "/lua"); r.Status != 403 || r.Header("Sandgate-Decision") != "deny; reason=lua_rate" {
			t.Errorf("%s: third call: got %d %q, want the handler's deny", id, r.Status, r.Header("Sandgate-Decision"))
		}
	}
}

// TestLongScriptNameIs400: a script name no file system can hold is a 400.
func TestLongScriptNameIs400(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: limitClasses})
	code, body := g.api("PUT", "/v1/scripts/"+strings.Repeat("n", 300), []byte("return function(req, ctx) return deny() end"))
	if code != 400 {
		t.Errorf("got %d %s, want 400", code, body)
	}
}

// TestGuardRefusesHostAddresses runs the gateway in a network namespace
// whose loopback carries a public-range address: neither that address nor
// the admin API listening on it is reachable through the proxy, though
// the admin API answers there directly.
func TestGuardRefusesHostAddresses(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("this test needs iproute2 (`apt-get install -y iproute2`, make test does)")
	}
	ns := "sgtest-" + randHex(4)
	run := func(args ...string) string {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
		return string(out)
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	in := func(args ...string) []string { return append([]string{"ip", "netns", "exec", ns}, args...) }
	run(in("ip", "link", "set", "lo", "up")...)
	run(in("ip", "addr", "add", "1.2.3.4/32", "dev", "lo")...)

	dir := t.TempDir()
	copyDir(t, filepath.Join(repoRoot, "scripts"), filepath.Join(dir, "scripts"))
	writeJSONFile(t, filepath.Join(dir, "secrets.json"), map[string]any{})
	cfg := `version: 1
proxy: { listen: 127.0.0.1:0 }
admin: { listen: 0.0.0.0:0 }
scripts_dir: ./scripts
secrets: { backend: file, file: { path: ./secrets.json } }
state: { backend: memory }
classes:
  default:
    enable_internet: true
`
	if err := os.WriteFile(filepath.Join(dir, "sandgate.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	token := "tok-" + randHex(8)
	cmd := exec.Command("ip", "netns", "exec", ns, binary, "serve", "-config", filepath.Join(dir, "sandgate.yaml"))
	cmd.Env = append(os.Environ(), "SANDGATE_ADMIN_TOKEN="+token)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addrs := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				addrs <- m[1:]
			}
		}
	}()
	var proxyAddr, adminPort string
	select {
	case a := <-addrs:
		proxyAddr = a[0]
		adminPort = regexp.MustCompile(`:(\d+)$`).FindStringSubmatch(a[1])[1]
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway in the namespace did not start")
	}
	nsCurl := func(args ...string) string {
		out, _ := exec.Command("ip", append([]string{"netns", "exec", ns, "curl", "-sS", "--max-time", "10"}, args...)...).CombinedOutput()
		return string(out)
	}
	metrics := "http://1.2.3.4:" + adminPort + "/metrics"
	if out := nsCurl(metrics); !strings.Contains(out, "sandgate_build_info") {
		t.Fatalf("the admin API does not answer on 1.2.3.4 inside the namespace: %s", out)
	}
	created := nsCurl("-H", "Authorization: Bearer "+token, "-d", `{"id":"ns1"}`, "http://127.0.0.1:"+adminPort+"/v1/sandboxes")
	tok := regexp.MustCompile(`"token":\s*"([^"]+)"`).FindStringSubmatch(created)
	if tok == nil {
		t.Fatalf("creating a sandbox: %s", created)
	}
	for _, target := range []string{metrics, "http://1.2.3.4:9/", "http://[2002:102:304::1]:" + adminPort + "/metrics"} {
		out := nsCurl("-x", "http://"+proxyAddr, "--proxy-user", "ns1:"+tok[1], "-w", "\n%{http_code}", target)
		if !strings.HasSuffix(out, "403") || !strings.Contains(out, `"reason":"private_address"`) {
			t.Errorf("%s through the proxy: got %q, want 403 private_address", target, out)
		}
	}
}
