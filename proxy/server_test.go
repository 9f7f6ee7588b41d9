package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/policy"
)

func portOf(url string) string { return url[strings.LastIndexByte(url, ':')+1:] }

func TestForwardPlainAndIntercepted(t *testing.T) {
	h := newHarness(t)
	res, body := h.get(h.plain.URL+"/a", "")
	if res.StatusCode != 200 || body != "upstream says hi" || res.Header.Get(headerRequestID) == "" {
		t.Fatalf("plain: got %d %q, want the upstream's answer with a request id", res.StatusCode, body)
	}
	if r := h.record(); r.Decision != "allow" || r.Protocol != protoH1 || r.Status != 200 {
		t.Errorf("plain record: %+v", r)
	}
	for _, proto := range []string{"http/1.1", "h2"} {
		tc := h.tunnel(strings.TrimPrefix(h.tlsUp.URL, "https://"), proto)
		if got := tc.ConnectionState().NegotiatedProtocol; got != proto {
			t.Fatalf("ALPN: got %q, want %q", got, proto)
		}
		tr := &http.Transport{DialTLSContext: func(context.Context, string, string) (netConn, error) { return tc, nil },
			ForceAttemptHTTP2: proto == "h2"}
		res, err := (&http.Client{Transport: tr}).Get(h.tlsUp.URL + "/b")
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		tr.CloseIdleConnections()
		if res.StatusCode != 200 || string(b) != "upstream says hi" {
			t.Errorf("%s: got %d %q", proto, res.StatusCode, b)
		}
		want := protoH1
		if proto == "h2" {
			want = protoH2
		}
		if r := h.record(); r.Protocol != want || r.Scheme != "https" || r.Decision != "allow" {
			t.Errorf("%s record: %+v", proto, r)
		}
	}
}

// TestNoFailureReachesTheUpstream: every refusal and every failure of a
// handler is answered by the proxy; the upstream sees nothing.
func TestNoFailureReachesTheUpstream(t *testing.T) {
	h := newHarness(t)
	port := portOf(h.plain.URL)
	h.bindHandler(port)
	for _, tc := range []struct {
		name   string
		fn     func(context.Context, *engine.Call) (engine.Result, error)
		target string
		extra  string
		status int
		reason string
	}{
		{"handler error", func(context.Context, *engine.Call) (engine.Result, error) {
			return engine.Result{}, &engine.HandlerError{Handler: "h", Err: errors.New("boom")}
		}, h.plain.URL, "", 502, "handler_error"},
		{"handler time-out", func(context.Context, *engine.Call) (engine.Result, error) {
			return engine.Result{}, &engine.HandlerError{Handler: "h", Err: errors.New("exceeded time limit"), Timeout: true}
		}, h.plain.URL, "", 502, "handler_error"},
		{"handler deny", func(context.Context, *engine.Call) (engine.Result, error) {
			return engine.Result{Deny: true, Reason: "nope"}, nil
		}, h.plain.URL, "", 403, "nope"},
		{"no response", func(context.Context, *engine.Call) (engine.Result, error) {
			return engine.Result{}, nil
		}, h.plain.URL, "", 502, "handler_error"},
		{"a 101 without an upgrade", func(context.Context, *engine.Call) (engine.Result, error) {
			return engine.Result{Response: &http.Response{StatusCode: 101, Header: http.Header{}, Body: http.NoBody}}, nil
		}, h.plain.URL, "", 502, "handler_error"},
		{"fetch refused", func(context.Context, *engine.Call) (engine.Result, error) {
			return engine.Result{}, &engine.FetchError{Handler: "h", Err: &AddressError{Host: "x"}}
		}, h.plain.URL, "", 403, "private_address"},
		{"not allowed", nil, "http://example.com/", "", 403, "not_in_allowed_hosts"},
		{"private address", nil, "http://10.1.2.3/", "", 403, "not_in_allowed_hosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fn != nil {
				h.setHandler(tc.fn)
			}
			res, _ := h.get(tc.target+"/x", tc.extra)
			if res.StatusCode != tc.status || !strings.HasSuffix(res.Header.Get(headerDecision), "reason="+tc.reason) {
				t.Errorf("got %d %q, want %d reason %s", res.StatusCode, res.Header.Get(headerDecision), tc.status, tc.reason)
			}
		})
	}
	res, _ := h.get(h.plain.URL+"/x", "Content-Type: application/grpc\r\n")
	if res.StatusCode != 200 || res.Header.Get("Grpc-Status") != "7" || res.Header.Get("Grpc-Message") != "egress denied: private_address" {
		t.Errorf("gRPC refusal: got %d grpc-status %q message %q", res.StatusCode, res.Header.Get("Grpc-Status"), res.Header.Get("Grpc-Message"))
	}
	if n := h.up.n.Load(); n != 0 {
		t.Errorf("the upstream saw %d requests, want 0", n)
	}
}

// TestPanicClosesOnlyItsConnection: a panic while serving a request gives
// 502 internal_error on that connection, which is closed; the next
// connection is served.
func TestPanicClosesOnlyItsConnection(t *testing.T) {
	h := newHarness(t)
	h.bindHandler(portOf(h.plain.URL))
	h.setHandler(func(context.Context, *engine.Call) (engine.Result, error) {
		var m map[string]int
		m["nil map"]++ // a bug in the request path
		return engine.Result{}, nil
	})
	c, br := h.dial()
	fmt.Fprintf(c, "GET %s/p HTTP/1.1\r\nHost: x\r\n%s\r\n", h.plain.URL, h.auth())
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 502 || res.Header.Get(headerDecision) != "error; reason=internal_error" {
		t.Fatalf("got %v, %v; want 502 internal_error", res, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	if _, err := br.ReadByte(); err == nil {
		t.Error("the connection that panicked stayed open")
	}
	h.setHandler(func(context.Context, *engine.Call) (engine.Result, error) {
		return engine.Result{Deny: true, Reason: "fine"}, nil
	})
	if res, _ := h.get(h.plain.URL+"/q", ""); res.StatusCode != 403 {
		t.Errorf("the next connection: got %d, want the handler's deny", res.StatusCode)
	}
}

func TestPassThroughTunnel(t *testing.T) {
	h := newHarness(t, func(c *policy.Class, _ *Options) { c.Intercept = false })
	c, br := h.dial()
	target := strings.TrimPrefix(h.tlsUp.URL, "https://")
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", target, target, h.auth())
	res, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", res, err)
	}
	// The upstream's own certificate comes through, untouched.
	tr := &http.Transport{DialTLSContext: nil, TLSClientConfig: h.tlsUp.Client().Transport.(*http.Transport).TLSClientConfig,
		DialContext: func(context.Context, string, string) (netConn, error) { return &bufConn{Conn: c, r: br}, nil }}
	resp, err := (&http.Client{Transport: tr}).Get(h.tlsUp.URL + "/through")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tr.CloseIdleConnections()
	c.Close()
	if r := h.record(); r.Method != http.MethodConnect || r.Decision != "allow" || r.BytesUp == 0 || r.BytesDown == 0 {
		t.Errorf("got %+v, want an allowed CONNECT with bytes both ways", r)
	}
	// Denied: the CONNECT itself gets the deny.
	c2, br2 := h.dial()
	fmt.Fprintf(c2, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n%s\r\n", h.auth())
	res, err = http.ReadResponse(br2, &http.Request{Method: http.MethodConnect})
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("denied CONNECT: %v %v", res, err)
	}
}

func TestTransparentRefusesUnknownSources(t *testing.T) {
	h := newHarness(t)
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = h.srv.ServeTransparent(ln) }()
	c, err := netDial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	if _, err := bufio.NewReader(c).ReadByte(); err == nil {
		t.Error("a connection from an unknown source was served")
	}
}
