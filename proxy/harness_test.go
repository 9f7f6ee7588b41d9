package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
)

// fakeRunner stands in for the Lua engine: fn decides what a handler does.
type fakeRunner struct {
	fn func(ctx context.Context, call *engine.Call) (engine.Result, error)
}

func (f fakeRunner) Run(ctx context.Context, call *engine.Call) (engine.Result, error) {
	return f.fn(ctx, call)
}

func (f fakeRunner) Has(string) bool { return true }

// counting is an upstream that counts what reaches it.
type counting struct {
	n    atomic.Int64
	mu   sync.Mutex
	last *http.Request
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	c.mu.Lock()
	c.last = r
	c.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("X-Upstream", "yes")
	fmt.Fprint(w, "upstream says hi")
}

// harness is a Server on a loopback listener with one sandbox, "sb", whose
// class allows 127.0.0.1 and binds the handler "h" to 127.0.0.1 port
// boundPort (the fake runner runs it).
type harness struct {
	t       testing.TB
	srv     *Server
	addr    string
	sb      *sandbox.Sandbox
	token   string
	up      *counting
	plain   *httptest.Server
	tlsUp   *httptest.Server
	run     atomic.Pointer[func(context.Context, *engine.Call) (engine.Result, error)]
	records chan *Record
}

func newHarness(t testing.TB, tweak ...func(*policy.Class, *Options)) *harness {
	t.Helper()
	h := &harness{t: t, up: &counting{}, records: make(chan *Record, 100)}
	h.plain = httptest.NewServer(h.up)
	t.Cleanup(h.plain.Close)
	h.tlsUp = httptest.NewTLSServer(h.up)
	t.Cleanup(h.tlsUp.Close)
	allowed := hostpat.List{hostpat.MustParse("127.0.0.1")}
	class := &policy.Class{Name: "default", Intercept: true, Allowed: &allowed, DenyStatus: 403,
		ByHost: &hostpat.Table[*policy.Binding]{}}
	class.ByHost.Set(hostpat.MustParse("127.0.0.1:1"), &policy.Binding{Handler: "h"})
	guard := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, DialTimeout: 2 * time.Second}
	roots := x509.NewCertPool()
	roots.AddCert(h.tlsUp.Certificate())
	tr := &Upstream{&http.Transport{DialContext: guard.dialPooled, TLSClientConfig: &tls.Config{RootCAs: roots},
		ResponseHeaderTimeout: 2 * time.Second, ForceAttemptHTTP2: true}}
	t.Cleanup(tr.CloseIdleConnections)
	opts := Options{Transport: tr, Guard: guard, IdleTimeout: 5 * time.Second, HeaderTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Observe: func(r *Record) {
			select {
			case h.records <- r:
			default:
			}
		},
		Engine: func() engine.Runner {
			return fakeRunner{fn: func(ctx context.Context, call *engine.Call) (engine.Result, error) {
				return (*h.run.Load())(ctx, call)
			}}
		}}
	for _, f := range tweak {
		f(class, &opts)
	}
	reg := sandbox.NewRegistry(map[string]*policy.Class{"default": class})
	opts.Registry = reg
	sb, token, err := reg.Create(sandbox.CreateRequest{ID: "sb"})
	if err != nil {
		t.Fatal(err)
	}
	h.sb, h.token = sb, token
	h.setHandler(func(context.Context, *engine.Call) (engine.Result, error) {
		return engine.Result{Deny: true, Reason: "handler"}, nil
	})
	h.srv = New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	go func() { _ = h.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = h.srv.Shutdown(ctx)
	})
	return h
}

func (h *harness) setHandler(fn func(context.Context, *engine.Call) (engine.Result, error)) {
	h.run.Store(&fn)
}

// bindHandler binds the fake handler to 127.0.0.1 on port.
func (h *harness) bindHandler(port string) {
	_ = h.sb.UpdateOverrides(func(o *policy.Overrides) error {
		o.ByHost = &hostpat.Table[*policy.Binding]{}
		o.ByHost.Set(hostpat.MustParse("127.0.0.1:"+port), &policy.Binding{Handler: "h"})
		return nil
	})
}

func (h *harness) auth() string {
	return "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("sb:"+h.token)) + "\r\n"
}

// dial opens a raw connection to the proxy.
func (h *harness) dial() (net.Conn, *bufio.Reader) {
	h.t.Helper()
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// get sends one absolute-form GET and returns the response and its body.
func (h *harness) get(target string, extra string) (*http.Response, string) {
	h.t.Helper()
	c, br := h.dial()
	host := strings.TrimPrefix(strings.TrimPrefix(target, "http://"), "https://")
	host, _, _ = strings.Cut(host, "/")
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n%s%s\r\n", target, host, h.auth(), extra)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		h.t.Fatalf("GET %s: %v", target, err)
	}
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// tunnel CONNECTs to target and completes TLS with the sandbox's CA.
func (h *harness) tunnel(target string, protos ...string) *tls.Conn {
	h.t.Helper()
	c, br := h.dial()
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", target, target, h.auth())
	res, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || res.StatusCode != 200 {
		h.t.Fatalf("CONNECT %s: %v %v", target, res, err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(h.sb.CA.CertPEM())
	host, _, _ := net.SplitHostPort(target)
	tc := tls.Client(&bufConn{Conn: c, r: br}, &tls.Config{RootCAs: pool, ServerName: host, NextProtos: protos})
	if err := tc.Handshake(); err != nil {
		h.t.Fatalf("TLS in the tunnel: %v", err)
	}
	return tc
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// record waits for the next record.
func (h *harness) record() *Record {
	h.t.Helper()
	select {
	case r := <-h.records:
		return r
	case <-time.After(5 * time.Second):
		h.t.Fatal("no record")
		return nil
	}
}

type netConn = net.Conn

func netListen() (net.Listener, error)   { return net.Listen("tcp", "127.0.0.1:0") }
func netDial(a string) (net.Conn, error) { return net.Dial("tcp", a) }
