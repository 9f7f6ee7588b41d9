package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveTCP accepts connections on 127.0.0.1 until the test ends and hands
// each to handle in a goroutine of its own; it returns the address.
func serveTCP(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	return ln.Addr().String()
}

// tcpEcho is a raw TCP upstream that echoes what it gets.
func tcpEcho(t *testing.T) string {
	return serveTCP(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
}

const protoClasses = `  default:
    allowed_hosts: ["127.0.0.1", "localhost"]
  denying:
    allowed_hosts: ["127.0.0.1"]
    denied_hosts: ["127.0.0.1"]
`

// TestTCPHostsTunnel: tcp_hosts joins a CONNECT as raw TCP (runtime list);
// without it the tunnel is intercepted and non-TLS, non-HTTP bytes end it;
// denied_hosts wins over tcp_hosts.
func TestTCPHostsTunnel(t *testing.T) {
	target := tcpEcho(t)
	g := startGateway(t, gatewayConfig{Classes: protoClasses})
	sb := g.createSandbox(map[string]any{"id": "tcp"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Not allowed yet: intercepted, and the bytes are neither TLS nor HTTP.
	c, err := connectThrough(ctx, g, sb, target)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "\x00\x01hello\n")
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 16)); err == nil {
		t.Fatalf("an unknown protocol got %d bytes back", n)
	}
	c.Close()
	a := waitAudit(t, g, "the unknown protocol", func(a auditLine) bool { return a.str("reason") == "unknown_protocol" })
	if a.str("decision") != "error" || a.str("sandbox") != "tcp" || a.str("method") != "CONNECT" {
		t.Errorf("got %v, want an error line of sandbox tcp for the CONNECT", a)
	}

	g.mustAPI(200, "PUT", "/v1/sandboxes/tcp/tcp-hosts", []string{target})
	c, err = connectThrough(ctx, g, sb, target)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for _, line := range []string{"SSH-2.0-test\n", "second line\n"} {
		fmt.Fprint(c, line)
		got, err := br.ReadString('\n')
		if err != nil || got != line {
			t.Fatalf("echo: got %q, %v; want %q", got, err, line)
		}
	}
	c.Close()
	a = waitAudit(t, g, "the TCP tunnel", func(a auditLine) bool { return a.str("protocol") == "tcp" && a.str("decision") == "allow" })
	if a.str("rule") != "runtime tcp_hosts "+target || a.num("bytes_up") != 25 || a.num("bytes_down") != 25 || a.str("method") != "CONNECT" {
		t.Errorf("got %v, want rule runtime tcp_hosts %s and 25 bytes each way", a, target)
	}

	if code, body := g.api("PUT", "/v1/sandboxes/tcp/tcp-hosts", []string{"127.0.0.1"}); code != 400 || !strings.Contains(string(body), "needs a port") {
		t.Errorf("a pattern without a port: got %d %s, want 400 naming the missing port", code, body)
	}

	denying := g.createSandbox(map[string]any{"id": "den", "class": "denying"})
	g.mustAPI(200, "PUT", "/v1/sandboxes/den/tcp-hosts", []string{target})
	_, err = connectThrough(ctx, g, denying, target)
	if ce, ok := err.(*connectError); !ok || ce.Status != 403 || ce.Decision != "deny; reason=denied_hosts" {
		t.Errorf("denied_hosts over tcp_hosts: got %v, want a 403 denied_hosts on the CONNECT", err)
	}
}

// TestTCPHostsNeedsPort: a class tcp_hosts pattern without a port is a
// config error with its line.
func TestTCPHostsNeedsPort(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sandgate.yaml")
	if err := os.WriteFile(cfg, []byte("version: 1\nstate: { backend: memory }\nclasses:\n  default:\n    tcp_hosts: [\"github.com\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runBinary(t, "check", "-config", cfg)
	if err == nil || !strings.Contains(out, "sandgate.yaml:5") || !strings.Contains(out, "needs a port") {
		t.Errorf("got %v: %s, want a failure naming line 5 and the missing port", err, out)
	}
}

// TestPlainHTTPInsideTunnel: an intercepted tunnel whose first bytes are
// an HTTP request is served as plain HTTP to the CONNECT target; another
// Host gets 421.
func TestPlainHTTPInsideTunnel(t *testing.T) {
	e := &echo{}
	up := httptest.NewServer(e)
	t.Cleanup(up.Close)
	target := strings.TrimPrefix(up.URL, "http://")
	g := startGateway(t, gatewayConfig{Classes: protoClasses})
	sb := g.createSandbox(map[string]any{"id": "plain"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := connectThrough(ctx, g, sb, target)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	fmt.Fprintf(c, "GET /inner?q=1 HTTP/1.1\r\nHost: %s\r\n\r\n", target)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("got %v, %v; want 200", res, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	if got := e.last(t); got.Path != "/inner" || got.TLS {
		t.Errorf("upstream got %+v, want /inner over plain HTTP", got)
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: elsewhere.example\r\n\r\n")
	res, err = http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 421 {
		t.Fatalf("other Host: got %v, %v; want 421", res, err)
	}
	a := waitAudit(t, g, "the inner request", func(a auditLine) bool { return a.str("path") == "/inner" })
	if a.str("scheme") != "http" || a.str("protocol") != "h1" || a.str("decision") != "allow" {
		t.Errorf("got %v, want an allowed plain request", a)
	}
}

// TestExpectContinue: the sandbox gets "100 Continue" at once for a
// request that goes on, and the final answer, before any body, for one
// that is refused.
func TestExpectContinue(t *testing.T) {
	e := &echo{}
	up := httptest.NewServer(e)
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: protoClasses})
	sb := g.createSandbox(map[string]any{"id": "exp"})
	auth := "Proxy-Authorization: Basic " + basicAuth(sb) + "\r\n"
	send := func(target string) (*bufio.Reader, net.Conn) {
		c, err := net.Dial("tcp", g.Proxy)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(15 * time.Second))
		u, _ := url.Parse(target)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", target, u.Host, auth)
		return bufio.NewReader(c), c
	}
	br, c := send(up.URL + "/upload")
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("got %q, %v; want 100 Continue before the body", line, err)
	}
	_, _ = br.ReadString('\n') // the empty line after the 100
	fmt.Fprint(c, "hello")
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after the body: got %v, %v; want 200", res, err)
	}
	c.Close()
	if got := e.last(t); got.Body != "hello" {
		t.Errorf("upstream got body %q, want hello", got.Body)
	}

	br, c = send("http://blocked.example/upload")
	defer c.Close()
	res, err = http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("refused: got %v, %v; want the 403 before the body", res, err)
	}
	if !res.Close {
		t.Error("a refused expect-continue request left its connection open for a body that may never come")
	}
}

func basicAuth(sb *sandbox) string {
	return base64Std(sb.ID + ":" + sb.Token)
}

// TestFailuresBeforeFirstRequest: a sandbox that does not trust its CA, an
// ALPN mismatch: one audit line each, counted by reason.
func TestFailuresBeforeFirstRequest(t *testing.T) {
	ca := newUpstreamCA(t)
	tlsUp := ca.startTLS(t, &echo{})
	g := startGateway(t, gatewayConfig{Classes: protoClasses, CAFiles: []string{ca.PEMFile}})
	sb := g.createSandbox(map[string]any{"id": "fail"})
	// curl without the sandbox CA: the handshake is aborted by the client.
	r := curl(t, "-x", "http://"+g.Proxy, "--proxy-user", sb.ID+":"+sb.Token, tlsUp.URL+"/")
	if r.Exit != 60 {
		t.Fatalf("got curl exit %d, want 60 (certificate problem)", r.Exit)
	}
	a := waitAudit(t, g, "the handshake failure", func(a auditLine) bool { return a.str("reason") == "tls_handshake_failed" })
	if a.str("decision") != "error" || a.str("sandbox") != "fail" || a.str("host") != "127.0.0.1" {
		t.Errorf("got %v, want an error of sandbox fail for host 127.0.0.1", a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := connectThrough(ctx, g, sb, strings.TrimPrefix(tlsUp.URL, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(c, sandboxTLS(t, sb, "127.0.0.1", "spdy/3"))
	if err := tc.HandshakeContext(ctx); err == nil {
		t.Fatal("a handshake offering only spdy/3 succeeded")
	}
	c.Close()
	waitAudit(t, g, "the ALPN mismatch", func(a auditLine) bool { return a.str("reason") == "no_common_protocol" })
	mfs := scrape(t, g)
	for _, reason := range []string{"tls_handshake_failed", "no_common_protocol"} {
		if got := metric(mfs, "sandgate_connection_errors_total", map[string]string{"reason": reason}); got != 1 {
			t.Errorf("sandgate_connection_errors_total{reason=%q}: got %v, want 1", reason, got)
		}
	}
}

// TestHTTP2BothWays: a Go client speaking h2 to the gateway, the gateway
// speaking h2 to an upstream that offers it; trailers pass both ways and
// nothing is added that the sandbox did not send.
func TestHTTP2BothWays(t *testing.T) {
	ca := newUpstreamCA(t)
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Trailer", "X-Sum")
		w.Header().Set("X-Proto", r.Proto)
		w.Header().Set("X-Got-Trailer", r.Trailer.Get("X-Req-Trailer"))
		w.Header().Set("X-Got-UA", fmt.Sprintf("%q", r.Header.Values("User-Agent")))
		_, _ = w.Write(body)
		w.Header().Set("X-Sum", fmt.Sprint(len(body)))
	}))
	up.EnableHTTP2 = true
	up.TLS = &tls.Config{Certificates: []tls.Certificate{ca.serverCert(t)}}
	up.StartTLS()
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: protoClasses, CAFiles: []string{ca.PEMFile}})
	sb := g.createSandbox(map[string]any{"id": "h2"})
	pu := &url.URL{Scheme: "http", Host: g.Proxy, User: url.UserPassword(sb.ID, sb.Token)}
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: sandboxTLS(t, sb, ""), ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 20 * time.Second}

	req, _ := http.NewRequest("POST", up.URL+"/h2", io.NopCloser(strings.NewReader("0123456789")))
	req.Trailer = http.Header{"X-Req-Trailer": nil}
	req.Header["User-Agent"] = nil // none at all
	req.ContentLength = -1
	req.Trailer.Set("X-Req-Trailer", "late")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.ProtoMajor != 2 || res.Header.Get("X-Proto") != "HTTP/2.0" {
		t.Errorf("got %s to the gateway and %s to the upstream, want HTTP/2 both", res.Proto, res.Header.Get("X-Proto"))
	}
	if string(body) != "0123456789" || res.Trailer.Get("X-Sum") != "10" {
		t.Errorf("got body %q trailer X-Sum %q, want the body and 10", body, res.Trailer.Get("X-Sum"))
	}
	if got := res.Header.Get("X-Got-Trailer"); got != "late" {
		t.Errorf("upstream got request trailer %q, want late", got)
	}
	if got := res.Header.Get("X-Got-UA"); got != "[]" {
		t.Errorf("upstream got User-Agent %s, want none", got)
	}
	a := auditByID(t, g, res.Header.Get("Sandgate-Request-Id"))
	if a.str("protocol") != "h2" || a.num("bytes_up") != 10 || a.num("bytes_down") != 10 {
		t.Errorf("got %v, want protocol h2 and 10 bytes each way", a)
	}
	// A denied request over h2 gets the same JSON deny.
	res, err = client.Get("https://example.com/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != 403 || parseDeny(t, string(body)).Reason != "not_in_allowed_hosts" {
		t.Errorf("got %s %d %s, want an HTTP/2 403 not_in_allowed_hosts", res.Proto, res.StatusCode, body)
	}
}

// TestCurlHTTP2AndChunkedUpload: curl --http2 through the gateway to an
// HTTP/1.1 upstream; a chunked upload is counted as it passes; curl's
// request without a User-Agent reaches the upstream without one.
func TestCurlHTTP2AndChunkedUpload(t *testing.T) {
	g, sb, e, tlsUp, plainUp := coreSetup(t)
	file := filepath.Join(t.TempDir(), "up")
	if err := os.WriteFile(file, make([]byte, 300000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, url string }{{"h2 to h1", tlsUp.URL}, {"plain", plainUp.URL}} {
		r := curl(t, append(viaProxy(g, sb), "--http2", "-H", "User-Agent:", "-H", "Transfer-Encoding: chunked",
			"--data-binary", "@"+file, tc.url+"/up")...)
		if r.Status != 200 {
			t.Fatalf("%s: got %d (%s)", tc.name, r.Status, r.Stderr)
		}
		got := e.last(t)
		if len(got.Body) != 300000 || got.Headers["User-Agent"] != nil {
			t.Errorf("%s: upstream got %d bytes and User-Agent %q, want 300000 and none", tc.name, len(got.Body), got.Headers["User-Agent"])
		}
		if a := auditByID(t, g, r.Header("Sandgate-Request-Id")); a.num("bytes_up") != 300000 {
			t.Errorf("%s: audit bytes_up %v, want 300000", tc.name, a.num("bytes_up"))
		}
	}
}
