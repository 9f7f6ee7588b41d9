package integration

import (
	"bufio"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const basicClasses = `  default:
    allowed_hosts: ["127.0.0.1", "localhost", "[::1]"]
    denied_hosts: ["blocked.example", "localhost:1"]
  open:
    enable_internet: true
`

// coreSetup starts a gateway, a TLS and a plain echo upstream, and a sandbox.
func coreSetup(t *testing.T) (*gateway, *sandbox, *echo, *httptest.Server, *httptest.Server) {
	t.Helper()
	ca := newUpstreamCA(t)
	e := &echo{}
	tlsUp := ca.startTLS(t, e)
	plainUp := httptest.NewServer(e)
	t.Cleanup(plainUp.Close)
	g := startGateway(t, gatewayConfig{Classes: basicClasses, CAFiles: []string{ca.PEMFile}})
	sb := g.createSandbox(map[string]any{"id": "alpha"})
	return g, sb, e, tlsUp, plainUp
}

func TestAllowedHostsPass(t *testing.T) {
	g, sb, e, tlsUp, plainUp := coreSetup(t)
	for _, tc := range []struct{ name, url string }{
		{"https intercepted", tlsUp.URL + "/hello?x=1"},
		{"plain http", plainUp.URL + "/hello?x=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := curl(t, append(viaProxy(g, sb), tc.url)...)
			if r.Exit != 0 || r.Status != 200 {
				t.Fatalf("got exit %d status %d (%s), want 200: %s", r.Exit, r.Status, r.Stderr, r.Body)
			}
			got := e.last(t)
			if got.Path != "/hello" || got.Query != "x=1" {
				t.Errorf("upstream got path %q query %q, want /hello x=1", got.Path, got.Query)
			}
			if r.Header("X-Upstream") != "echo" {
				t.Errorf("got X-Upstream %q, want echo", r.Header("X-Upstream"))
			}
		})
	}
}

func TestDeniedHostsGetJSON403(t *testing.T) {
	g, sb, e, _, _ := coreSetup(t)
	for _, tc := range []struct{ name, url, host, reason string }{
		{"denied https", "https://blocked.example/x", "blocked.example", "denied_hosts"},
		{"denied http", "http://BLOCKED.example./x", "blocked.example", "denied_hosts"},
		{"not allowed https", "https://example.com/", "example.com", "not_in_allowed_hosts"},
		{"not allowed http", "http://example.com:8080/", "example.com", "not_in_allowed_hosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := curl(t, append(viaProxy(g, sb), tc.url)...)
			if r.Status != 403 {
				t.Fatalf("got status %d (exit %d, %s), want 403", r.Status, r.Exit, r.Stderr)
			}
			if got, want := r.Header("Sandgate-Decision"), "deny; reason="+tc.reason; got != want {
				t.Errorf("got Sandgate-Decision %q, want %q", got, want)
			}
			d := parseDeny(t, r.Body)
			want := denyJSON{Error: "egress denied", Reason: tc.reason, Host: tc.host, Sandbox: sb.ID}
			if d != want {
				t.Errorf("got body %+v, want %+v", d, want)
			}
		})
	}
	if n := len(e.all()); n != 0 {
		t.Errorf("upstream saw %d requests, want 0", n)
	}
}

func TestWrongProxyCredentialsGet407(t *testing.T) {
	g, sb, e, tlsUp, plainUp := coreSetup(t)
	bad := []string{"-x", "http://" + g.Proxy, "--proxy-user", sb.ID + ":wrong", "--cacert", sb.caFile}
	none := []string{"-x", "http://" + g.Proxy, "--cacert", sb.caFile}
	unknown := []string{"-x", "http://" + g.Proxy, "--proxy-user", "nobody:" + sb.Token, "--cacert", sb.caFile}
	for _, tc := range []struct {
		name  string
		args  []string
		url   string
		https bool
	}{
		{"wrong token http", bad, plainUp.URL, false},
		{"wrong token https", bad, tlsUp.URL, true},
		{"no credentials http", none, plainUp.URL, false},
		{"no credentials https", none, tlsUp.URL, true},
		{"unknown sandbox https", unknown, tlsUp.URL, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := curl(t, append(tc.args, tc.url)...)
			got := r.Status
			if tc.https {
				got = r.Connect
			}
			if got != 407 {
				t.Fatalf("got %d (exit %d, %s), want 407", got, r.Exit, r.Stderr)
			}
			if !strings.Contains(r.Headers, `Proxy-Authenticate: Basic realm="sandgate"`) {
				t.Errorf("no Proxy-Authenticate header in %q", r.Headers)
			}
		})
	}
	if n := len(e.all()); n != 0 {
		t.Errorf("upstream saw %d requests, want 0", n)
	}
}

func TestOtherSandboxCADoesNotValidate(t *testing.T) {
	g, a, e, tlsUp, _ := coreSetup(t)
	b := g.createSandbox(map[string]any{"id": "bravo"})
	args := []string{"-x", "http://" + g.Proxy, "--proxy-user", a.ID + ":" + a.Token, "--cacert", b.caFile, tlsUp.URL}
	r := curl(t, args...)
	if r.Exit != 60 {
		t.Fatalf("got curl exit %d status %d (%s), want 60 (certificate problem)", r.Exit, r.Status, r.Stderr)
	}
	if n := len(e.all()); n != 0 {
		t.Errorf("upstream saw %d requests, want 0", n)
	}
	// And the right CA works.
	if r := curl(t, append(viaProxy(g, a), tlsUp.URL)...); r.Status != 200 {
		t.Fatalf("with its own CA: got status %d (%s), want 200", r.Status, r.Stderr)
	}
}

// proxyClient is a Go client using the gateway as sandbox sb, trusting its CA.
func proxyClient(t *testing.T, g *gateway, sb *sandbox) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(sb.CAPEM)) {
		t.Fatal("bad CA PEM")
	}
	pu := &url.URL{Scheme: "http", Host: g.Proxy, User: url.UserPassword(sb.ID, sb.Token)}
	tr := &http.Transport{Proxy: http.ProxyURL(pu), MaxIdleConnsPerHost: 4}
	tr.TLSClientConfig = tlsClientConfig(pool)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

func TestDeletingSandboxStopsTraffic(t *testing.T) {
	g, sb, e, tlsUp, _ := coreSetup(t)
	c := proxyClient(t, g, sb)
	res, err := c.Get(tlsUp.URL + "/one")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("before delete: got %d, want 200", res.StatusCode)
	}
	g.mustAPI(http.StatusNoContent, "DELETE", "/v1/sandboxes/"+sb.ID, nil)
	res, err = c.Get(tlsUp.URL + "/two")
	if err == nil {
		res.Body.Close()
		t.Fatalf("after delete: got status %d, want an error", res.StatusCode)
	}
	for _, s := range e.all() {
		if s.Path == "/two" {
			t.Fatal("upstream got a request after the sandbox was deleted")
		}
	}
	if code, _ := g.api("GET", "/v1/sandboxes/"+sb.ID+"/ca.pem", nil); code != 404 {
		t.Errorf("ca.pem after delete: got %d, want 404", code)
	}
}

func TestHostMismatchGets421(t *testing.T) {
	g, sb, e, tlsUp, _ := coreSetup(t)
	port := strings.TrimPrefix(tlsUp.URL, "https://127.0.0.1:")
	r := curl(t, append(viaProxy(g, sb), "-H", "Host: localhost:"+port, tlsUp.URL+"/")...)
	if r.Status != 421 {
		t.Fatalf("got status %d (%s), want 421", r.Status, r.Stderr)
	}
	// Same host, other case and default-port spelling, is fine.
	r = curl(t, append(viaProxy(g, sb), "-H", "Host: 127.0.0.1:"+port, tlsUp.URL+"/")...)
	if r.Status != 200 {
		t.Fatalf("matching Host: got status %d, want 200", r.Status)
	}
	if n := len(e.all()); n != 1 {
		t.Errorf("upstream saw %d requests, want 1", n)
	}
}

func TestMetadataAddressIsPrivate(t *testing.T) {
	g, _, _, _, _ := coreSetup(t)
	sb := g.createSandbox(map[string]any{"id": "open1", "class": "open"})
	for _, u := range []string{"https://169.254.169.254/latest/meta-data/", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/"} {
		r := curl(t, append(viaProxy(g, sb), u)...)
		if r.Status != 403 {
			t.Fatalf("%s: got status %d (exit %d, %s), want 403", u, r.Status, r.Exit, r.Stderr)
		}
		if d := parseDeny(t, r.Body); d.Reason != "private_address" {
			t.Errorf("%s: got reason %q, want private_address", u, d.Reason)
		}
		if got := r.Header("Sandgate-Decision"); got != "deny; reason=private_address" {
			t.Errorf("%s: got Sandgate-Decision %q", u, got)
		}
	}
}

func TestHopByHopHeadersRemoved(t *testing.T) {
	g, sb, e, tlsUp, plainUp := coreSetup(t)
	for _, u := range []string{tlsUp.URL, plainUp.URL} {
		// HTTP/1.1: HTTP/2 has no Connection header to name one in.
		r := curl(t, append(viaProxy(g, sb), "--http1.1", "-H", "Connection: X-Drop", "-H", "X-Drop: 1",
			"-H", "Proxy-Foo: bar", "-H", "Keep-Alive: timeout=5", "-H", "X-Keep: yes", u+"/h")...)
		if r.Status != 200 {
			t.Fatalf("got %d: %s", r.Status, r.Stderr)
		}
		got := e.last(t)
		for _, h := range []string{"X-Drop", "Proxy-Foo", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection"} {
			if _, ok := got.Headers[h]; ok {
				t.Errorf("%s: upstream got %s; headers %v", u, h, headerNames(got.Headers))
			}
		}
		if got.Headers["X-Keep"] == nil {
			t.Errorf("%s: upstream lost X-Keep", u)
		}
	}
}

func TestServerSentEventsStream(t *testing.T) {
	ca := newUpstreamCA(t)
	var lastSent atomic.Int64
	up := ca.startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		f := w.(http.Flusher)
		for i := 1; i <= 5; i++ {
			fmt.Fprintf(w, "data: event %d\n\n", i)
			f.Flush()
			if i == 5 {
				lastSent.Store(time.Now().UnixNano())
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	}))
	g := startGateway(t, gatewayConfig{Classes: basicClasses, CAFiles: []string{ca.PEMFile}})
	sb := g.createSandbox(map[string]any{"id": "sse"})
	c := proxyClient(t, g, sb)
	res, err := c.Get(up.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	var firstAt int64
	events := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			events++
			if events == 1 {
				firstAt = time.Now().UnixNano()
				if lastSent.Load() != 0 {
					t.Fatal("the first event arrived only after the upstream sent the last one")
				}
			}
		}
	}
	if events != 5 {
		t.Fatalf("got %d events, want 5", events)
	}
	if firstAt >= lastSent.Load() {
		t.Fatalf("first event at %d, last sent at %d: not streamed", firstAt, lastSent.Load())
	}
}

func TestCheckCommand(t *testing.T) {
	out, err := runBinary(t, "check", "-config", repoRoot+"/examples/sandgate.yaml")
	if err != nil {
		t.Fatalf("check of the example config failed: %v\n%s", err, out)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "version: 1\nproxy:\n  listen: 127.0.0.1:3128\n  lisen: x\n", ":4: lisen: unknown key in proxy"},
		{"bad version", "version: 2\n", "version: must be 1"},
		{"bad duration", "version: 1\nlimits:\n  handler_timeout: 5 parsecs\n", ":3: invalid duration \"5 parsecs\""},
		{"bad pattern", "version: 1\nclasses:\n  default:\n    allowed_hosts: [\"ok.com\", \"bad host\"]\n", ":4: classes.default.allowed_hosts[1]"},
		{"unknown handler", "version: 1\nscripts_dir: " + repoRoot + "/scripts\nsecrets: {backend: file, file: {path: /dev/null}}\nclasses:\n  default:\n    outbound: { handler: nope }\n", `:6: classes.default.outbound.handler: unknown handler "nope"`},
		{"unreachable handler", "version: 1\nclasses:\n  c:\n    intercept_https: false\n    outbound_by_host:\n      \"api.example.com:443\": { handler: deny_all }\n", "could never run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dir + "/" + strings.ReplaceAll(tc.name, " ", "_") + ".yaml"
			if err := os.WriteFile(p, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := runBinary(t, "check", "-config", p)
			if err == nil {
				t.Fatalf("check passed, want an error containing %q", tc.want)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("got %q, want it to contain %q", out, tc.want)
			}
		})
	}
}

// The gateway never dials its own listeners, even when allow_cidrs covers
// loopback (as in these tests): a sandbox cannot reach the admin API.
func TestOwnListenersAreNeverDialed(t *testing.T) {
	g, _, _, _, _ := coreSetup(t)
	sb := g.createSandbox(map[string]any{"id": "selfie", "class": "open"})
	for _, u := range []string{g.Admin + "/v1/status", "http://" + g.Proxy + "/", "https://" + strings.TrimPrefix(g.Admin, "http://") + "/"} {
		r := curl(t, append(viaProxy(g, sb), "-H", "Authorization: Bearer "+g.Token, u)...)
		if r.Status != 403 || parseDeny(t, r.Body).Reason != "private_address" {
			t.Errorf("%s: got %d %s, want 403 private_address", u, r.Status, r.Body)
		}
	}
}
