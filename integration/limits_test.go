package integration

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const limitClasses = `  default:
    allowed_hosts: ["127.0.0.1", "localhost"]
  capped:
    allowed_hosts: ["127.0.0.1"]
    max_connections: 2
`

// rawConn dials the proxy with a deadline for the whole exchange.
func rawConn(t *testing.T, g *gateway) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", g.Proxy)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c, bufio.NewReader(c)
}

// expectStatus reads one response and checks its status, and that the
// connection then ends.
func expectStatus(t *testing.T, what string, br *bufio.Reader, want int, closed bool) *http.Response {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%s: reading the response: %v", what, err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s: got %d %s, want %d", what, res.StatusCode, body, want)
	}
	if closed {
		if b, err := br.ReadByte(); err == nil {
			rest, _ := io.ReadAll(br)
			t.Errorf("%s: the connection stayed open (read %q)", what, append([]byte{b}, rest...))
		}
	}
	return res
}

// TestHeaderBombs: a head past proxy.max_header_bytes gets 431 (414 for the
// request line alone) and its connection is closed, before and after
// authentication; four endless heads at once leave the gateway's memory
// where it was.
func TestHeaderBombs(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: limitClasses, ProxyExtra: "  max_header_bytes: 8KiB\n"})
	sb := g.createSandbox(map[string]any{"id": "bomb"})

	c, br := rawConn(t, g)
	fmt.Fprintf(c, "GET http://127.0.0.1/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", strings.Repeat("a", 9000))
	expectStatus(t, "long request line", br, 414, true)

	c, br = rawConn(t, g)
	fmt.Fprintf(c, "GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %s\r\n\r\n", strings.Repeat("b", 9000))
	expectStatus(t, "long headers", br, 431, true)

	// Inside an authenticated, intercepted tunnel.
	conn, err := connectThrough(t.Context(), g, sb, "127.0.0.1:443")
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(conn, sandboxTLS(t, sb, "127.0.0.1", "http/1.1"))
	_ = tc.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(tc, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %s\r\n\r\n", strings.Repeat("c", 9000))
	expectStatus(t, "long headers in a tunnel", bufio.NewReader(tc), 431, true)
	tc.Close()

	before := peakRSS(t, g.cmd.Process.Pid)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", g.Proxy)
			if err != nil {
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprint(c, "GET http://127.0.0.1/ HTTP/1.1\r\nX: ")
			chunk := []byte(strings.Repeat("x", 64<<10))
			for i := 0; i < 3200; i++ { // up to 200 MiB, until the gateway hangs up
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	after := peakRSS(t, g.cmd.Process.Pid)
	t.Logf("gateway peak RSS %d MiB before, %d MiB after four endless headers", before>>20, after>>20)
	if after-before > 64<<20 {
		t.Errorf("four endless headers grew the gateway by %d MiB", (after-before)>>20)
	}
}

// TestSlowHeaders: a head not complete within proxy.header_timeout of its
// first byte gets 408 and its connection closed, before and after
// authentication; an idle keep-alive connection ends at proxy.idle_timeout.
func TestSlowHeaders(t *testing.T) {
	up := httptest.NewServer(&echo{})
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: limitClasses, ProxyExtra: "  header_timeout: 1s\n  idle_timeout: 2s\n"})
	sb := g.createSandbox(map[string]any{"id": "slow"})
	trickle := func(w io.Writer, head string) {
		for i := 0; i < len(head); i++ {
			if _, err := w.Write([]byte{head[i]}); err != nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	c, br := rawConn(t, g)
	go trickle(c, "GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	expectStatus(t, "a trickled head", br, 408, true)

	conn, err := connectThrough(t.Context(), g, sb, "127.0.0.1:443")
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(conn, sandboxTLS(t, sb, "127.0.0.1", "http/1.1"))
	_ = tc.SetDeadline(time.Now().Add(20 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	go trickle(tc, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	expectStatus(t, "a trickled head in a tunnel", bufio.NewReader(tc), 408, true)
	tc.Close()

	c, br = rawConn(t, g)
	fmt.Fprintf(c, "GET %s/ HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n", up.URL, up.Listener.Addr(), basicAuth(sb))
	expectStatus(t, "a request", br, 200, false)
	if _, err := br.ReadByte(); err == nil || isTimeoutErr(err) {
		t.Errorf("an idle keep-alive connection: got %v, want it closed by proxy.idle_timeout", err)
	}
}

func isTimeoutErr(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestPendingConnectionsCap: past proxy.max_pending_connections, the
// oldest connections that have not authenticated are closed; authenticated
// sandboxes are still served.
func TestPendingConnectionsCap(t *testing.T) {
	up := httptest.NewServer(&echo{})
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: limitClasses, ProxyExtra: "  max_pending_connections: 10\n"})
	sb := g.createSandbox(map[string]any{"id": "pend"})
	var conns []net.Conn
	for range 25 {
		c, err := net.Dial("tcp", g.Proxy)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprint(c, "GET http://127.0.0.1/ HTTP/1.1\r\n") // and never more
		conns = append(conns, c)
		time.Sleep(5 * time.Millisecond) // keep the arrival order
	}
	closed, open := 0, 0
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		switch {
		case isTimeoutErr(err):
			open++
			if i < 15 {
				t.Errorf("connection %d (of the oldest 15) is still open", i)
			}
		default:
			closed++
		}
	}
	if open != 10 || closed != 15 {
		t.Errorf("got %d open and %d closed, want 10 and 15", open, closed)
	}
	// A sandbox is still served (its connection is pending until it
	// authenticates, and pushes out the oldest of the ten).
	if r := curl(t, append(viaProxy(g, sb), up.URL+"/ok")...); r.Status != 200 {
		t.Fatalf("an authenticated request: got %d (%s)", r.Status, r.Stderr)
	}
}

// TestSandboxConnectionCap: a connection over its sandbox's
// max_connections gets 429 too_many_connections and is closed; the
// sandbox's other connections and other sandboxes are untouched.
func TestSandboxConnectionCap(t *testing.T) {
	up := httptest.NewServer(&echo{})
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: limitClasses})
	capped := g.createSandbox(map[string]any{"id": "capped", "class": "capped"})
	other := g.createSandbox(map[string]any{"id": "other"})
	get := func(sb *sandbox) (net.Conn, *bufio.Reader) {
		c, br := rawConn(t, g)
		fmt.Fprintf(c, "GET %s/ HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n", up.URL, up.Listener.Addr(), basicAuth(sb))
		return c, br
	}
	c1, br1 := get(capped)
	expectStatus(t, "first connection", br1, 200, false)
	_, br2 := get(capped)
	expectStatus(t, "second connection", br2, 200, false)
	_, br3 := get(capped)
	res := expectStatus(t, "third connection", br3, 429, true)
	if res.Header.Get("Sandgate-Decision") != "deny; reason=too_many_connections" {
		t.Errorf("got Sandgate-Decision %q", res.Header.Get("Sandgate-Decision"))
	}
	_, bro := get(other)
	expectStatus(t, "another sandbox", bro, 200, false)
	// The first connection still works.
	fmt.Fprintf(c1, "GET %s/again HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n", up.URL, up.Listener.Addr(), basicAuth(capped))
	expectStatus(t, "first connection again", br1, 200, false)
	// Closing one makes room.
	c1.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, br := get(capped)
		res, err := http.ReadResponse(br, nil)
		if err == nil && res.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after closing a connection: still refused (%v, %v)", res, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMalformedRequests: a malformed request gets 400 with a short reason
// and its connection is closed; one with both Content-Length and
// Transfer-Encoding is answered, then its connection is closed.
func TestMalformedRequests(t *testing.T) {
	e := &echo{}
	up := httptest.NewServer(e)
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: limitClasses})
	sb := g.createSandbox(map[string]any{"id": "mal"})
	auth := "Proxy-Authorization: Basic " + basicAuth(sb) + "\r\n"
	host := up.Listener.Addr().String()
	for _, tc := range []struct{ name, req, reason string }{
		{"two lengths", "POST " + up.URL + "/ HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "two different Content-Lengths"},
		{"bad transfer-encoding", "POST " + up.URL + "/ HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Transfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"},
		{"control character", "GET " + up.URL + "/a\x01 HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "\r\n", "control character"},
		{"no auth either", "GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n", "control character"},
	} {
		c, br := rawConn(t, g)
		fmt.Fprint(c, tc.req)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 400 || !strings.Contains(string(body), tc.reason) {
			t.Errorf("%s: got %d %s, want 400 naming %q", tc.name, res.StatusCode, body, tc.reason)
		}
		if _, err := br.ReadByte(); err == nil {
			t.Errorf("%s: the connection stayed open", tc.name)
		}
	}
	c, br := rawConn(t, g)
	fmt.Fprintf(c, "POST %s/smuggle HTTP/1.1\r\nHost: %s\r\n%sContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET %s/second HTTP/1.1\r\nHost: %s\r\n%s\r\n",
		up.URL, host, auth, up.URL, host, auth)
	expectStatus(t, "CL and TE", br, 200, true)
	for _, s := range e.all() {
		if s.Path == "/second" {
			t.Error("the request after a CL+TE request was served")
		}
	}
	if got := e.last(t); got.Body != "abc" {
		t.Errorf("upstream got body %q, want the chunked one, abc", got.Body)
	}
	mfs := scrape(t, g)
	if got := metric(mfs, "sandgate_bad_requests_total", map[string]string{"status": "400"}); got != 4 {
		t.Errorf("sandgate_bad_requests_total{status=400}: got %v, want 4", got)
	}
}

// cutShort is an upstream that promises 100000 bytes, sends 12 and hangs up.
func cutShort(t *testing.T, tlsCfg *tls.Config, chunked bool) string {
	t.Helper()
	return serveTCP(t, func(c net.Conn) {
		if tlsCfg != nil {
			tc := tls.Server(c, tlsCfg)
			if tc.Handshake() != nil {
				return
			}
			c = tc
		}
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		if chunked {
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nhello world!\r\n")
		} else {
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nhello world!")
		}
		time.Sleep(50 * time.Millisecond)
	})
}

// TestTruncatedUpstream: a response the upstream cuts short is cut short
// for the sandbox too (HTTP/1.1 connection closed, HTTP/2 stream reset),
// never left waiting, and audited as upstream_truncated.
func TestTruncatedUpstream(t *testing.T) {
	ca := newUpstreamCA(t)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{ca.serverCert(t)}}
	g := startGateway(t, gatewayConfig{Classes: limitClasses, CAFiles: []string{ca.PEMFile}})
	sb := g.createSandbox(map[string]any{"id": "trunc"})
	for _, tc := range []struct {
		name string
		url  string
		args []string
	}{
		{"plain, length", "http://" + cutShort(t, nil, false) + "/", nil},
		{"plain, chunked", "http://" + cutShort(t, nil, true) + "/", nil},
		{"tunnel, HTTP/1.1", "https://" + cutShort(t, tlsCfg, false) + "/", []string{"--http1.1"}},
		{"tunnel, HTTP/2", "https://" + cutShort(t, tlsCfg, false) + "/", []string{"--http2"}},
		{"tunnel, HTTP/2, chunked", "https://" + cutShort(t, tlsCfg, true) + "/", []string{"--http2"}},
	} {
		r := curl(t, append(append(viaProxy(g, sb), tc.args...), tc.url)...)
		if r.Exit == 0 || r.Exit == 28 {
			t.Errorf("%s: curl exit %d (%s), want a transfer error (not success, not a time-out)", tc.name, r.Exit, r.Stderr)
		}
		a := auditByID(t, g, r.Header("Sandgate-Request-Id"))
		if a.str("decision") != "error" || a.str("reason") != "upstream_truncated" {
			t.Errorf("%s: got %v, want decision error, reason upstream_truncated", tc.name, a)
		}
	}
}

// TestAuthFailuresCounted: every 407 is counted and logged, at most once a
// second per client address with the count.
func TestAuthFailuresCounted(t *testing.T) {
	g := startGateway(t, gatewayConfig{Classes: limitClasses})
	sb := g.createSandbox(map[string]any{"id": "auth"})
	for range 5 {
		if r := curl(t, "-x", "http://"+g.Proxy, "--proxy-user", sb.ID+":wrong", "http://127.0.0.1/"); r.Status != 407 {
			t.Fatalf("got %d, want 407", r.Status)
		}
	}
	waitMetric(t, g, "sandgate_auth_failures_total", 5)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(g.Logs(), `"count":5`) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line counting the 5 failures from 127.0.0.1:\n%s", g.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := strings.Count(g.Logs(), "proxy authentication failed"); n > 2 {
		t.Errorf("got %d log lines for 5 failures within a second or two, want one per second", n)
	}
}
