package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// auditLine is one line of the audit log, as the gateway printed it.
type auditLine map[string]any

func (a auditLine) str(k string) string { s, _ := a[k].(string); return s }
func (a auditLine) num(k string) float64 {
	n, _ := a[k].(float64)
	return n
}

// auditLines parses every audit line the gateway printed so far.
func auditLines(g *gateway) []auditLine {
	var out []auditLine
	for _, line := range strings.Split(g.Logs(), "\n") {
		if !strings.HasPrefix(line, "{") || !strings.Contains(line, `"msg":"audit"`) {
			continue
		}
		var a auditLine
		if json.Unmarshal([]byte(line), &a) == nil && a.str("msg") == "audit" {
			out = append(out, a)
		}
	}
	return out
}

// waitAudit waits (bounded) for the audit line matching fn: a record is
// written when the response body is closed, just after the client has it.
func waitAudit(t *testing.T, g *gateway, what string, fn func(auditLine) bool) auditLine {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, a := range auditLines(g) {
			if fn(a) {
				return a
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit line for %s in:\n%s", what, g.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func auditByID(t *testing.T, g *gateway, id string) auditLine {
	t.Helper()
	if id == "" {
		t.Fatal("response has no Sandgate-Request-Id")
	}
	return waitAudit(t, g, "request "+id, func(a auditLine) bool { return a.str("request_id") == id })
}

// scrape reads /metrics (no token) and parses it with expfmt.
func scrape(t *testing.T, g *gateway) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(g.Admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: got %d, want 200", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return mfs
}

// metric is the value of the series of name whose labels are exactly
// labels (a histogram's sample count); -1 when there is none.
func metric(mfs map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	mf, ok := mfs[name]
	if !ok {
		return -1
	}
	sum, found := 0.0, false
	for _, m := range mf.GetMetric() {
		if !sameLabels(m, labels) {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	if !found {
		return -1
	}
	return sum
}

// sameLabels reports whether m carries every label of want (labels not in
// want, such as protocol, are summed over).
func sameLabels(m *dto.Metric, want map[string]string) bool {
	have := map[string]string{}
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// requests is the labels of sandgate_requests_total.
func requests(decision, reason, class, handler string) map[string]string {
	return map[string]string{"decision": decision, "reason": reason, "class": class, "handler": handler}
}

const spinScript = "-- spin: never returns; stopped at limits.handler_timeout\nreturn function(req, ctx)\n  while true do end\nend\n"

const opsClasses = `  default:
    allowed_hosts: ["127.0.0.1", "localhost"]
    denied_hosts: ["blocked.example"]
  tunnel:
    intercept_https: false
    allowed_hosts: ["127.0.0.1"]
`

// TestAuditAndMetrics runs allowed, denied, handler and failing requests
// and checks each one's audit line and the counters they leave.
func TestAuditAndMetrics(t *testing.T) {
	ca := newUpstreamCA(t)
	e := &echo{}
	tlsUp := ca.startTLS(t, e)
	plain := httptest.NewServer(e)
	t.Cleanup(plain.Close)
	handled := httptest.NewServer(e)
	t.Cleanup(handled.Close)
	g := startGateway(t, gatewayConfig{Classes: opsClasses, CAFiles: []string{ca.PEMFile},
		Extra:   "limits:\n  handler_timeout: 100ms\n",
		Secrets: map[string]map[string]string{"sandboxes/ops": {"token": "tok-" + randHex(8)}}})
	sb := g.createSandbox(map[string]any{"id": "ops"})
	g.mustAPI(200, "PUT", "/v1/scripts/spin", spinScript)
	plainPort, handledPort, tlsPort := port(t, plain.URL), port(t, handled.URL), port(t, tlsUp.URL)
	inject := map[string]any{"header": "X-Key", "secret": "sandboxes/{sandbox_id}", "field": "token"}
	bind(g, "ops", "127.0.0.1:"+handledPort, "inject_header", inject)
	bind(g, "ops", "localhost:"+handledPort, "inject_header", map[string]any{"header": "X-Key", "secret": "missing", "field": "token"})
	bind(g, "ops", "localhost:"+plainPort, "spin", nil)
	bind(g, "ops", "localhost:"+tlsPort, "deny_all", nil)

	type want struct {
		decision, reason, handler string
		status                    int
	}
	for _, tc := range []struct {
		name, url, scheme, host, path string
		port                          float64
		want                          want
	}{
		{"allowed http", plain.URL + "/a/b?secret=query", "http", "127.0.0.1", "/a/b", num(plainPort), want{"allow", "", "", 200}},
		{"allowed https", tlsUp.URL + "/tls", "https", "127.0.0.1", "/tls", num(tlsPort), want{"allow", "", "", 200}},
		{"allowed https again", tlsUp.URL + "/tls2", "https", "127.0.0.1", "/tls2", num(tlsPort), want{"allow", "", "", 200}},
		{"denied host", "http://blocked.example/x?q=1", "http", "blocked.example", "/x", 80, want{"deny", "denied_hosts", "", 403}},
		{"not allowed", "https://example.com/", "https", "example.com", "/", 443, want{"deny", "not_in_allowed_hosts", "", 403}},
		{"handler forwards", handled.URL + "/h", "http", "127.0.0.1", "/h", num(handledPort), want{"handler", "", "inject_header", 200}},
		{"handler denies", "https://localhost:" + tlsPort + "/d", "https", "localhost", "/d", num(tlsPort), want{"deny", "handler", "deny_all", 403}},
		{"handler missing secret", "http://localhost:" + handledPort + "/m", "http", "localhost", "/m", num(handledPort), want{"error", "handler_error", "inject_header", 502}},
		{"handler time-out", "http://localhost:" + plainPort + "/s", "http", "localhost", "/s", num(plainPort), want{"error", "handler_error", "spin", 502}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := curl(t, append(viaProxy(g, sb), tc.url)...)
			if r.Status != tc.want.status {
				t.Fatalf("got status %d (exit %d, %s), want %d", r.Status, r.Exit, r.Stderr, tc.want.status)
			}
			a := auditByID(t, g, r.Header("Sandgate-Request-Id"))
			got := want{a.str("decision"), a.str("reason"), a.str("handler"), int(a.num("status"))}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			for k, v := range map[string]any{"sandbox": "ops", "class": "default", "method": "GET",
				"scheme": tc.scheme, "host": tc.host, "port": tc.port, "path": tc.path} {
				if a[k] != v {
					t.Errorf("got %s %v, want %v", k, a[k], v)
				}
			}
			if _, ok := a["duration_ms"].(float64); !ok {
				t.Errorf("no duration_ms in %v", a)
			}
			// A forward, by the rules or by a handler's fetch, names the
			// address it was sent to.
			if tc.want.status == 200 && a.str("upstream") != "127.0.0.1:"+port(t, tc.url) {
				t.Errorf("got upstream %q, want 127.0.0.1:%s", a.str("upstream"), port(t, tc.url))
			}
			if tc.want.status == 200 && a.num("bytes_down") <= 0 {
				t.Errorf("got bytes_down %v, want > 0", a["bytes_down"])
			}
		})
	}
	for _, a := range auditLines(g) {
		if raw, _ := json.Marshal(a); strings.Contains(string(raw), "query") || strings.Contains(string(raw), "q=1") {
			t.Errorf("audit line shows a query string: %s", raw)
		}
	}

	// Reloads: one that works, one that fails (and keeps the old set).
	g.mustAPI(200, "POST", "/v1/scripts/reload", nil)
	broken := filepath.Join(g.ScriptDir, "broken.lua")
	if err := os.WriteFile(broken, []byte("return function(\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g.mustAPI(422, "POST", "/v1/scripts/reload", nil)
	_ = os.Remove(broken)

	mfs := scrape(t, g)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"sandgate_requests_total", requests("allow", "", "default", ""), 3},
		{"sandgate_requests_total", requests("deny", "denied_hosts", "default", ""), 1},
		{"sandgate_requests_total", requests("deny", "not_in_allowed_hosts", "default", ""), 1},
		{"sandgate_requests_total", requests("handler", "", "default", "inject_header"), 1},
		{"sandgate_requests_total", requests("deny", "handler", "default", "deny_all"), 1},
		{"sandgate_requests_total", requests("error", "handler_error", "default", "inject_header"), 1},
		{"sandgate_requests_total", requests("error", "handler_error", "default", "spin"), 1},
		{"sandgate_request_duration_seconds", map[string]string{"decision": "allow"}, 3},
		{"sandgate_request_duration_seconds", map[string]string{"decision": "error"}, 2},
		{"sandgate_handler_duration_seconds", map[string]string{"handler": "inject_header"}, 2},
		{"sandgate_handler_errors_total", map[string]string{"handler": "inject_header"}, 1},
		{"sandgate_handler_errors_total", map[string]string{"handler": "spin"}, 1},
		{"sandgate_handler_timeouts_total", map[string]string{"handler": "spin"}, 1},
		{"sandgate_secret_lookups_total", map[string]string{"result": "miss"}, 1},
		{"sandgate_secret_lookups_total", map[string]string{"result": "error"}, 1},
		{"sandgate_leaf_cert_lookups_total", map[string]string{"result": "miss"}, 3}, // 127.0.0.1, example.com, localhost
		{"sandgate_leaf_cert_lookups_total", map[string]string{"result": "hit"}, 1},
		{"sandgate_script_reloads_total", map[string]string{"result": "ok"}, 1},
		{"sandgate_script_reloads_total", map[string]string{"result": "error"}, 1},
		{"sandgate_sandboxes", nil, 1},
		{"sandgate_events_dropped_total", nil, 0},
	} {
		if got := metric(mfs, tc.name, tc.labels); got != tc.want {
			t.Errorf("got %s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if got := metric(mfs, "sandgate_open_connections", nil); got < 0 {
		t.Errorf("no sandgate_open_connections")
	}
}

// TestPassThroughTunnelAuditedOnClose: a CONNECT that is not intercepted
// gets one line, with its byte counts, when it closes.
func TestPassThroughTunnelAuditedOnClose(t *testing.T) {
	ca := newUpstreamCA(t)
	tlsUp := ca.startTLS(t, &echo{})
	g := startGateway(t, gatewayConfig{Classes: opsClasses})
	sb := g.createSandbox(map[string]any{"id": "tun", "class": "tunnel"})
	upCA := []string{"-x", "http://" + g.Proxy, "--proxy-user", sb.ID + ":" + sb.Token, "--cacert", ca.PEMFile}
	if r := curl(t, append(upCA, tlsUp.URL+"/through")...); r.Status != 200 {
		t.Fatalf("got status %d (exit %d, %s), want 200", r.Status, r.Exit, r.Stderr)
	}
	a := waitAudit(t, g, "the tunnel", func(a auditLine) bool { return a.str("method") == "CONNECT" && a.str("sandbox") == "tun" })
	if a.str("decision") != "allow" || a.num("status") != 200 || a.num("bytes_up") <= 0 || a.num("bytes_down") <= 0 ||
		a.str("upstream") == "" || a.num("port") != num(port(t, tlsUp.URL)) {
		t.Errorf("got tunnel line %v, want an allow with bytes both ways and the upstream", a)
	}
	if r := curl(t, append(upCA, "https://blocked.example/")...); r.Connect != 403 {
		t.Fatalf("got CONNECT status %d, want 403", r.Connect)
	}
	a = waitAudit(t, g, "the denied tunnel", func(a auditLine) bool { return a.str("host") == "blocked.example" })
	if a.str("method") != "CONNECT" || a.str("decision") != "deny" || a.str("reason") != "not_in_allowed_hosts" {
		t.Errorf("got %v, want a CONNECT deny not_in_allowed_hosts", a)
	}
	if n := len(auditLines(g)); n != 2 {
		t.Errorf("got %d audit lines, want 2 (one per tunnel)", n)
	}
}

// TestSandboxMetricsLabel: log.sandbox_metrics adds the sandbox id.
func TestSandboxMetricsLabel(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: opsClasses, Extra: "log:\n  sandbox_metrics: true\n"})
	sb := g.createSandbox(map[string]any{"id": "labelled"})
	r := curl(t, append(viaProxy(g, sb), "http://blocked.example/")...)
	auditByID(t, g, r.Header("Sandgate-Request-Id"))
	labels := requests("deny", "denied_hosts", "default", "")
	labels["sandbox"] = "labelled"
	if got := metric(scrape(t, g), "sandgate_requests_total", labels); got != 1 {
		t.Errorf("got %v, want 1 for %v", got, labels)
	}
}

// TestAdminDebugAndEventsNeedToken: /metrics is open, /v1/events and
// /debug/pprof/ need the admin token, and pprof is not on the proxy port.
func TestAdminDebugAndEventsNeedToken(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: opsClasses})
	for _, tc := range []struct {
		path  string
		token bool
		want  int
	}{
		{"/metrics", false, 200},
		{"/v1/events", false, 401},
		{"/debug/pprof/", false, 401},
		{"/debug/pprof/goroutine?debug=1", false, 401},
		{"/debug/pprof/", true, 200},
		{"/debug/pprof/goroutine?debug=1", true, 200},
		{"/v1/events?decision=nonsense", true, 400},
	} {
		req, _ := http.NewRequest("GET", g.Admin+tc.path, nil)
		if tc.token {
			req.Header.Set("Authorization", "Bearer "+g.Token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("GET %s (token %v): got %d, want %d", tc.path, tc.token, res.StatusCode, tc.want)
		}
	}
	res, err := http.Get("http://" + g.Proxy + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == 200 {
		t.Errorf("GET /debug/pprof/ on the proxy port: got 200, want a refusal")
	}
}

// TestStalledEventReaderDoesNotSlowProxy: a subscriber that never reads
// loses events (counted), and every request still completes.
func TestStalledEventReaderDoesNotSlowProxy(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: opsClasses})
	sb := g.createSandbox(map[string]any{"id": "busy"})
	stalled := openStalledStream(t, g)
	defer stalled.Close()
	waitMetric(t, g, "sandgate_event_subscribers", 1)

	proxyURL, _ := url.Parse("http://" + sb.ID + ":" + sb.Token + "@" + g.Proxy)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), MaxIdleConnsPerHost: 8}, Timeout: 30 * time.Second}
	var ok, failed atomic.Int64
	const batch, maxRequests = 1000, 40000
	sent := 0
	for sent < maxRequests {
		runBatch(client, up.URL, batch, &ok, &failed)
		sent += batch
		if metric(scrape(t, g), "sandgate_events_dropped_total", nil) > 0 {
			break
		}
	}
	if failed.Load() != 0 || ok.Load() != int64(sent) {
		t.Fatalf("got %d ok and %d failed of %d requests, want all ok", ok.Load(), failed.Load(), sent)
	}
	got := metric(scrape(t, g), "sandgate_events_dropped_total", nil)
	if got <= 0 {
		t.Errorf("got sandgate_events_dropped_total %v after %d requests, want > 0", got, sent)
	}
	t.Logf("%d requests, %v events dropped for the stalled reader", sent, got)
	// Requests still pass while the reader stays stalled.
	if r := curl(t, append(viaProxy(g, sb), up.URL+"/after")...); r.Status != 200 {
		t.Errorf("got status %d after the load, want 200", r.Status)
	}
}

// openStalledStream subscribes to /v1/events over a connection with a
// tiny receive buffer and never reads from it.
func openStalledStream(t *testing.T, g *gateway) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(g.Admin, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /v1/events HTTP/1.1\r\nHost: sandgate\r\nAuthorization: Bearer %s\r\n\r\n", g.Token)
	return conn
}

func runBatch(c *http.Client, target string, n int, ok, failed *atomic.Int64) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				res, err := c.Get(fmt.Sprintf("%s/n/%d", target, i))
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == 200 {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// waitMetric waits (bounded) until a metric without labels has value want.
func waitMetric(t *testing.T, g *gateway, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for metric(scrape(t, g), name, nil) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach %v", name, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func bind(g *gateway, id, pattern, handler string, params map[string]any) {
	g.t.Helper()
	body := map[string]any{"handler": handler}
	if params != nil {
		body["params"] = params
	}
	g.mustAPI(200, "PUT", "/v1/sandboxes/"+id+"/outbound-by-host/"+url.PathEscape(pattern), body)
}

func port(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func num(s string) float64 {
	var n float64
	fmt.Sscan(s, &n)
	return n
}

// readLines sends the lines of r to a channel until r ends.
func readLines(r io.Reader) <-chan string {
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// headerRecorder is an upstream that does not echo: it keeps the headers it
// got and answers a fixed body.
type headerRecorder struct {
	mu   sync.Mutex
	seen []http.Header
}

func (h *headerRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen = append(h.seen, r.Header.Clone())
	h.mu.Unlock()
	w.Header().Set("X-Upstream", "recorder")
	_, _ = io.WriteString(w, "upstream ok\n")
}

func (h *headerRecorder) got(name string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, s := range h.seen {
		out = append(out, s.Values(name)...)
	}
	return out
}

const leakyScript = `-- leaky: reads a secret, logs it and fails with it in the message
return function(req, ctx)
  local v = secrets.get("sandboxes/" .. ctx.sandbox_id, "other")
  log.warn("read a secret", {value = v, note = "v=" .. v})
  error("failing with " .. v)
end
`

// TestSecretsNeverLeak: secrets a handler injects or fails with appear
// nowhere the sandbox or an operator can read: responses, audit lines,
// the server log, events, metrics, admin answers.
func TestSecretsNeverLeak(t *testing.T) {
	injected, failing := "sgsecret-inj-"+randHex(12), "sgsecret-err-"+randHex(12)
	ca := newUpstreamCA(t)
	rec := &headerRecorder{}
	tlsUp := ca.startTLS(t, rec)
	plainUp := httptest.NewServer(rec)
	t.Cleanup(plainUp.Close)
	g := startGateway(t, gatewayConfig{Classes: opsClasses, CAFiles: []string{ca.PEMFile}, Extra: "log:\n  level: debug\n",
		Secrets: map[string]map[string]string{"sandboxes/leak": {"token": injected, "other": failing}}})
	sb := g.createSandbox(map[string]any{"id": "leak"})
	g.mustAPI(200, "PUT", "/v1/scripts/leaky", leakyScript)
	inject := map[string]any{"header": "Authorization", "secret": "sandboxes/{sandbox_id}", "field": "token", "prefix": "Bearer "}
	bind(g, "leak", "127.0.0.1", "inject_header", inject)
	bind(g, "leak", "localhost", "leaky", nil)

	watch := ctlWatcher(t, g)
	var sandboxSaw strings.Builder
	for _, tc := range []struct {
		url    string
		status int
	}{
		{tlsUp.URL + "/api", 200},
		{plainUp.URL + "/api", 200},
		{"https://localhost:" + port(t, tlsUp.URL) + "/fail", 502},
		{"http://localhost:" + port(t, plainUp.URL) + "/fail", 502},
	} {
		r := curl(t, append(viaProxy(g, sb), "-v", "-H", "Authorization: Bearer sandbox-own", tc.url)...)
		if r.Status != tc.status {
			t.Fatalf("%s: got status %d (exit %d, %s), want %d", tc.url, r.Status, r.Exit, r.Stderr, tc.status)
		}
		auditByID(t, g, r.Header("Sandgate-Request-Id"))
		sandboxSaw.WriteString(r.Headers + r.Body + r.Stderr)
	}
	if got := rec.got("Authorization"); len(got) != 2 || got[0] != "Bearer "+injected || got[1] != "Bearer "+injected {
		t.Fatalf("upstream got Authorization %q, want the injected secret twice", got)
	}
	if !strings.Contains(g.Logs(), "[redacted]") {
		t.Errorf("the server log has no [redacted] for the failing handler:\n%s", g.Logs())
	}

	events := watch(func(out string) bool { return strings.Count(out, `"sandbox":"leak"`) == 4 })
	operatorSaw := map[string]string{"gateway output (audit and server log)": g.Logs(), "events": events,
		"sandbox responses": sandboxSaw.String()}
	for _, path := range []string{"/metrics", "/v1/status", "/v1/sandboxes", "/v1/sandboxes/leak", "/v1/scripts"} {
		_, body := g.api("GET", path, nil)
		operatorSaw["GET "+path] = string(body)
	}
	for where, text := range operatorSaw {
		for _, secret := range []string{injected, failing} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows a secret value:\n%s", where, text)
			}
		}
	}
}

// ctlWatcher runs `sandgate ctl watch -o json` until the returned function
// is called, which waits (bounded) until what it printed satisfies done,
// stops it and returns its output.
func ctlWatcher(t *testing.T, g *gateway) func(done func(string) bool) string {
	t.Helper()
	cmd := exec.Command(binary, "ctl", "watch", "-o", "json")
	cmd.Env = append(os.Environ(), "SANDGATE_ADMIN_URL="+g.Admin, "SANDGATE_ADMIN_TOKEN="+g.Token)
	var out syncBuffer
	cmd.Stdout = &out
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	select {
	case line := <-readLines(stderr):
		if !strings.HasPrefix(line, "watching ") {
			t.Fatalf("ctl watch: got %q, want the watching banner", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ctl watch did not start in 10s")
	}
	return func(done func(string) bool) string {
		deadline := time.Now().Add(10 * time.Second)
		for !done(out.String()) {
			if time.Now().After(deadline) {
				t.Errorf("ctl watch printed only:\n%s", out.String())
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		return out.String()
	}
}
