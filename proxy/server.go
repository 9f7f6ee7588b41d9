package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/sandbox"

	"github.com/google/martian/v3"
	mlog "github.com/google/martian/v3/log"

	"github.com/sandgate/sandgate/engine"
)

// Options configures a Server.
type Options struct {
	Registry *sandbox.Registry
	// Engine returns the current handler snapshot; a request keeps the one
	// it started with. If nil, every binding fails as an unknown handler.
	Engine func() engine.Runner
	// Transport forwards requests upstream; it must dial through Guard.
	Transport http.RoundTripper
	// Guard dials tunnels that are not intercepted.
	Guard *Guard
	// IdleTimeout closes a client connection with no traffic (0: never).
	IdleTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake with the sandbox (default 10s).
	HandshakeTimeout time.Duration
	// MaxConns caps open client connections (0: no cap).
	MaxConns int
	// Logger is the server log. If nil, slog.Default() is used.
	Logger *slog.Logger
	// Observe receives one record per finished request or tunnel (audit
	// log, metrics, events). If nil, records are dropped.
	Observe func(*Record)
}

// Server is the explicit proxy.
type Server struct {
	opts  Options
	reg   *sandbox.Registry
	log   *slog.Logger
	mp    *martian.Proxy
	inner *chanListener

	conns    sync.Map // remote address -> *clientConn
	nconns   atomic.Int64
	reqSeq   atomic.Uint64
	reqBase  string
	closing  atomic.Bool
	listenMu sync.Mutex
	lns      []net.Listener
}

// New builds a server; Serve starts it.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HandshakeTimeout == 0 {
		opts.HandshakeTimeout = 10 * time.Second
	}
	mlog.SetLevel(mlog.Silent)
	s := &Server{opts: opts, reg: opts.Registry, log: opts.Logger, inner: newChanListener()}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	s.reqBase = hex.EncodeToString(b)
	mp := martian.NewProxy()
	mp.SetRoundTripper(s)
	mp.SetRequestModifier(martian.RequestModifierFunc(s.hijackConnect))
	// martian never dials: CONNECT is hijacked before it would, and plain
	// requests go through RoundTrip. A dial here is a bug; refuse it.
	mp.SetDial(func(string, string) (net.Conn, error) {
		return nil, errors.New("proxy: martian must not dial")
	})
	s.mp = mp
	go func() { _ = mp.Serve(s.inner) }()
	return s
}

// Serve accepts sandbox connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.listenMu.Lock()
	s.lns = append(s.lns, l)
	s.listenMu.Unlock()
	err := s.mp.Serve(&trackingListener{Listener: l, srv: s})
	if s.closing.Load() {
		return nil
	}
	return err
}

// Shutdown stops accepting, lets in-flight requests finish until ctx ends,
// then closes every connection that is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.listenMu.Lock()
	for _, l := range s.lns {
		_ = l.Close()
	}
	s.listenMu.Unlock()
	done := make(chan struct{})
	go func() {
		s.mp.Close()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.conns.Range(func(_, v any) bool {
		_ = v.(*clientConn).Close()
		return true
	})
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	return ctx.Err()
}

// OpenConns is the number of open client connections.
func (s *Server) OpenConns() int64 { return s.nconns.Load() }

func (s *Server) lookup(remote string) *clientConn {
	if v, ok := s.conns.Load(remote); ok {
		return v.(*clientConn)
	}
	return nil
}

func (s *Server) forget(c *clientConn) {
	s.conns.CompareAndDelete(c.RemoteAddr().String(), c)
	s.nconns.Add(-1)
}

func (s *Server) newRequestID() string {
	// "<base>-%06d", without fmt: this runs on every request.
	var num [20]byte
	d := strconv.AppendUint(num[:0], s.reqSeq.Add(1), 10)
	var b strings.Builder
	b.Grow(len(s.reqBase) + 1 + max(6, len(d)))
	b.WriteString(s.reqBase)
	b.WriteByte('-')
	for range 6 - len(d) {
		b.WriteByte('0')
	}
	b.Write(d)
	return b.String()
}

// trackingListener wraps accepted connections in clientConn.
type trackingListener struct {
	net.Listener
	srv *Server
}

func (l *trackingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetKeepAlive(true)
			_ = tc.SetKeepAlivePeriod(time.Minute)
		}
		if max := l.srv.opts.MaxConns; max > 0 && l.srv.nconns.Load() >= int64(max) {
			l.srv.log.Warn("connection refused: proxy.max_connections reached", "remote", c.RemoteAddr().String(), "max", max)
			_ = c.Close()
			continue
		}
		return l.srv.wrap(c), nil
	}
}

func (s *Server) wrap(c net.Conn) *clientConn {
	// The address is formatted once: martian asks for it on every request.
	remote := namedAddr{Addr: c.RemoteAddr(), s: c.RemoteAddr().String()}
	cc := &clientConn{Conn: c, srv: s, idle: s.opts.IdleTimeout, remote: remote}
	s.nconns.Add(1)
	s.conns.Store(remote.s, cc)
	return cc
}

// chanListener hands connections whose TLS sandgate terminated to martian,
// which serves them as intercepted (https) sessions.
type chanListener struct {
	ch        chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) push(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
