package integration

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandgate/sandgate/state/etcd/etcdtest"
)

// fleetSetup is three gateways (A, B, C) sharing one etcd and one seal key,
// and a TLS upstream.
type fleetSetup struct {
	etcd  *etcdtest.Server
	gws   []*gateway
	gcs   []gatewayConfig
	e     *echo
	tlsUp string
	host  string        // the upstream's host:port
	cut   *cutForwarder // A's way to etcd, with newFleetCut
}

// fleetExtra is the state block of a fleet gateway reaching etcd at endpoint.
func fleetExtra(endpoint, prefix, keyFile string) string {
	return fmt.Sprintf(`state:
  backend: etcd
  node_id: %s
  etcd: { endpoints: [%q], prefix: %s, dial_timeout: 2s }
  seal: { key_file: %s }`, "NODE", endpoint, prefix, keyFile)
}

func newFleet(t *testing.T, n int) *fleetSetup { return newFleetCut(t, n, false) }

// newFleetCut is newFleet where, with cut, gateway A reaches etcd through
// a cutForwarder the test can cut (a network partition of A alone).
func newFleetCut(t *testing.T, n int, cut bool) *fleetSetup {
	t.Helper()
	srv := etcdtest.Start(t)
	ca := newUpstreamCA(t)
	e := &echo{}
	up := ca.startTLS(t, e)
	key := filepath.Join(t.TempDir(), "seal.key")
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	if err := os.WriteFile(key, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	f := &fleetSetup{etcd: srv, e: e, tlsUp: up.URL, host: strings.TrimPrefix(up.URL, "https://")}
	for i := range n {
		endpoint := srv.Endpoint
		if cut && i == 0 {
			f.cut = newCutForwarder(t, strings.TrimPrefix(srv.Endpoint, "http://"))
			endpoint = "http://" + f.cut.Addr()
		}
		extra := strings.Replace(fleetExtra(endpoint, "/fleet/", key), "NODE", string(rune('A'+i)), 1)
		gc := gatewayConfig{Classes: basicClasses, CAFiles: []string{ca.PEMFile}, Extra: extra, Dir: t.TempDir()}
		f.gcs = append(f.gcs, gc)
		f.gws = append(f.gws, startGateway(t, gc))
	}
	return f
}

// fleetWait polls cond every 10ms until it holds or 10s pass, and returns how
// long it took. The deadline is generous on purpose: the time is logged,
// not asserted.
func fleetWait(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 10*time.Second {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10s", what)
	return 0
}

func (g *gateway) has(id string) bool {
	code, _ := g.api("GET", "/v1/sandboxes/"+id, nil)
	return code == 200
}

func TestFleetCreateOnAServedByBAndC(t *testing.T) {
	f := newFleet(t, 3)
	a, b, c := f.gws[0], f.gws[1], f.gws[2]
	sb := a.createSandbox(map[string]any{"id": "shared"})
	for _, g := range []*gateway{b, c} {
		took := fleetWait(t, "sandbox on another gateway", func() bool { return g.has("shared") })
		t.Logf("created on A, seen on %s after %v", g.Admin, took)
		if pem := g.mustAPI(200, "GET", "/v1/sandboxes/shared/ca.pem", nil); string(pem) != sb.CAPEM {
			t.Fatal("another gateway serves another CA")
		}
		r := curl(t, "-x", "http://"+g.Proxy, "--proxy-user", sb.ID+":"+sb.Token, "--cacert", sb.caFile, f.tlsUp+"/via")
		if r.Status != 200 {
			t.Fatalf("through another gateway: got exit %d status %d (%s), want 200", r.Exit, r.Status, r.Stderr)
		}
	}
	if st := b.status(); st.Node != "B" || st.State.Backend != "etcd" || !st.State.Healthy || st.State.Revision == 0 {
		t.Errorf("status: got %+v, want node B, etcd, healthy, a revision", st)
	}
}

// status is the part of GET /v1/status a fleet test reads.
type fleetStatus struct {
	Node  string `json:"node"`
	State struct {
		Backend  string `json:"backend"`
		Healthy  bool   `json:"healthy"`
		Revision int64  `json:"revision"`
	} `json:"state"`
}

func (g *gateway) status() fleetStatus {
	var st fleetStatus
	_ = json.Unmarshal(g.mustAPI(200, "GET", "/v1/status", nil), &st)
	return st
}

// runtimeDenied is a sandbox's runtime denied_hosts as g shows them.
func (g *gateway) runtimeDenied(id string) []string {
	code, out := g.api("GET", "/v1/sandboxes/"+id, nil)
	if code != 200 {
		return nil
	}
	var sb struct {
		Runtime struct {
			DeniedHosts []string `json:"denied_hosts"`
		} `json:"runtime"`
	}
	_ = json.Unmarshal(out, &sb)
	return sb.Runtime.DeniedHosts
}

func listHas(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestFleetChangeOnBSeenOnAAndC(t *testing.T) {
	f := newFleet(t, 3)
	a, b, c := f.gws[0], f.gws[1], f.gws[2]
	a.createSandbox(map[string]any{"id": "s"})
	fleetWait(t, "sandbox on B", func() bool { return b.has("s") })
	fleetWait(t, "sandbox on C", func() bool { return c.has("s") })
	b.mustAPI(200, "PUT", "/v1/sandboxes/s/denied-hosts", []string{"changed.example"})
	for name, g := range map[string]*gateway{"A": a, "C": c} {
		took := fleetWait(t, "change on "+name, func() bool { return listHas(g.runtimeDenied("s"), "changed.example") })
		t.Logf("changed on B, seen on %s after %v (the promise: within 1s)", name, took)
	}
	if n := metric(scrape(t, a), "sandgate_state_watch_lag_seconds", map[string]string{}); n < 2 {
		t.Errorf("A's sandgate_state_watch_lag_seconds counted %v changes, want at least the creation and the change", n)
	}
}

func TestFleetScriptPutOnCRunsOnA(t *testing.T) {
	f := newFleet(t, 3)
	a, c := f.gws[0], f.gws[2]
	src := "return function(req, ctx)\n  return response{status = 200, headers = {[\"X-Fleet\"] = \"yes\"}, body = \"hello from the fleet\"}\nend\n"
	c.mustAPI(200, "PUT", "/v1/scripts/fleet_hello", src)
	took := fleetWait(t, "script on A", func() bool { code, _ := a.api("GET", "/v1/scripts/fleet_hello", nil); return code == 200 })
	t.Logf("script put on C, loaded on A after %v", took)
	sb := a.createSandbox(map[string]any{"id": "scripted"})
	a.mustAPI(200, "PUT", "/v1/sandboxes/scripted/outbound-by-host/"+f.host, map[string]any{"handler": "fleet_hello"})
	r := curl(t, append(viaProxy(a, sb), f.tlsUp+"/x")...)
	if r.Status != 200 || r.Body != "hello from the fleet" {
		t.Fatalf("through A: got %d %q, want the script's answer", r.Status, r.Body)
	}
	if _, err := os.Stat(filepath.Join(a.ScriptDir, "fleet_hello.lua")); err == nil {
		t.Error("a fleet script was written to A's scripts_dir")
	}
	// A script that does not compile is refused and changes nothing.
	if code, _ := c.api("PUT", "/v1/scripts/fleet_hello", "return function("); code != 422 {
		t.Errorf("broken script: got %d, want 422", code)
	}
	time.Sleep(300 * time.Millisecond)
	if r := curl(t, append(viaProxy(a, sb), f.tlsUp+"/y")...); r.Body != "hello from the fleet" {
		t.Errorf("after a refused put: got %q", r.Body)
	}
}

// openTunnel opens an intercepted CONNECT tunnel through g as sb and makes
// one request in it; the tunnel stays open.
func openTunnel(t *testing.T, g *gateway, sb *sandbox, host string) *tls.Conn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", g.Proxy, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	auth := base64Basic(sb.ID, sb.Token)
	fmt.Fprintf(raw, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n", host, host, auth)
	br := bufio.NewReader(raw)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", res, err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(sb.CAPEM))
	h, _, _ := net.SplitHostPort(host)
	tc := tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: h, NextProtos: []string{"http/1.1"}})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(tc, "GET /tunnel HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	res, err = http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("request in the tunnel: %v %v", res, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return tc
}

func TestFleetDeleteOnAClosesTunnelOnB(t *testing.T) {
	f := newFleet(t, 2)
	a, b := f.gws[0], f.gws[1]
	sb := a.createSandbox(map[string]any{"id": "tunneled"})
	fleetWait(t, "sandbox on B", func() bool { return b.has("tunneled") })
	tc := openTunnel(t, b, sb, f.host)
	a.mustAPI(204, "DELETE", "/v1/sandboxes/tunneled", nil)
	start := time.Now()
	_ = tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := tc.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the tunnel on B stayed open 10s after the sandbox was deleted on A")
	}
	if err == nil {
		t.Fatal("the tunnel on B still carries data after the delete")
	}
	t.Logf("deleted on A, tunnel on B closed after %v (%v)", time.Since(start), err)
}

func base64Basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// cutForwarder is a TCP forwarder to target that the test can cut: every
// open connection is closed and new ones are refused until Heal.
type cutForwarder struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cut    atomic.Bool
}

func newCutForwarder(t *testing.T, target string) *cutForwarder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &cutForwarder{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); f.Cut() })
	go f.serve()
	return f
}

func (f *cutForwarder) Addr() string { return f.ln.Addr().String() }

func (f *cutForwarder) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		if f.cut.Load() {
			c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", f.target, 2*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, up)
		f.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

// Cut closes every forwarded connection and refuses new ones.
func (f *cutForwarder) Cut() {
	f.cut.Store(true)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
}

// Heal lets connections through again.
func (f *cutForwarder) Heal() { f.cut.Store(false) }
