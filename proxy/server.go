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

	"github.com/google/martian/v3"
	mlog "github.com/google/martian/v3/log"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/sandbox"
)

// Options configures a Server. Zero limits take the defaults of the
// config file (proxy.* keys).
type Options struct {
	Registry *sandbox.Registry
	// Engine returns the current handler snapshot; a request keeps the one
	// it started with. If nil, every binding fails as an unknown handler.
	Engine func() engine.Runner
	// Transport forwards requests upstream; it must dial through Guard.
	Transport http.RoundTripper
	// Guard dials tunnels that are not intercepted.
	Guard *Guard
	// IdleTimeout closes a connection with no traffic, and bounds the wait
	// for a keep-alive connection's next request (0: never).
	IdleTimeout time.Duration
	// TunnelIdleTimeout closes a joined WebSocket or TCP tunnel in which
	// neither side moved a byte for this long (0: IdleTimeout).
	TunnelIdleTimeout time.Duration
	// HeaderTimeout bounds a request head from its first byte (default 10s).
	HeaderTimeout time.Duration
	// MaxHeaderBytes bounds a request line plus headers (default 64 KiB).
	MaxHeaderBytes int
	// HandshakeTimeout bounds the TLS handshake with the sandbox (default 10s).
	HandshakeTimeout time.Duration
	// MaxConns caps open client connections (0: no cap). At the cap, the
	// oldest connection that has not authenticated yet makes room.
	MaxConns int
	// MaxPendingConns caps connections that have not authenticated yet;
	// past it the oldest are closed (0: no cap).
	MaxPendingConns int
	// H2MaxConcurrentStreams, H2StreamWindow and H2ConnWindow bound an
	// HTTP/2 connection (defaults 100, 1 MiB, 2 MiB).
	H2MaxConcurrentStreams int
	H2StreamWindow         int
	H2ConnWindow           int
	// AuditRequired refuses requests (503 audit_unavailable) while AuditOK
	// reports false.
	AuditRequired bool
	AuditOK       func() bool
	// Logger is the server log. If nil, slog.Default() is used.
	Logger *slog.Logger
	// Observe receives one record per finished request or tunnel (audit
	// log, metrics, events). If nil, records are dropped.
	Observe func(*Record)
	// OnAuthFailure, if non-nil, counts every 407.
	OnAuthFailure func()
	// OnRefused, if non-nil, counts every request stream refused before it
	// was parsed (a malformed or oversized head), by status (0: inside a body).
	OnRefused func(status int)
	// OnConnError, if non-nil, counts a connection the proxy ends because of
	// what its client did after it was served (h2_reset_flood).
	OnConnError func(reason string)
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = 10 * time.Second
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 64 << 10
	}
	if o.TunnelIdleTimeout <= 0 {
		o.TunnelIdleTimeout = o.IdleTimeout
	}
	if o.H2MaxConcurrentStreams <= 0 {
		o.H2MaxConcurrentStreams = 100
	}
	if o.H2StreamWindow <= 0 {
		o.H2StreamWindow = 1 << 20
	}
	if o.H2ConnWindow <= 0 {
		o.H2ConnWindow = 2 << 20
	}
}

// Server is the data plane: the explicit proxy (served by martian for
// HTTP/1.1), interception of CONNECT tunnels (HTTP/1.1, HTTP/2, plain
// HTTP), WebSocket and raw TCP tunnels, and the transparent listener.
type Server struct {
	opts  Options
	reg   *sandbox.Registry
	log   *slog.Logger
	mp    *martian.Proxy
	inner *chanListener
	h2    *h2Server

	conns   sync.Map // remote address -> *clientConn
	nconns  atomic.Int64
	pending pendingList
	authLog authLog

	refusedAtCap atomic.Int64 // connections refused at the cap since the last log line
	capLogged    everySecond  // that line
	resetLogged  everySecond  // the h2_reset_flood line
	reqSeq       atomic.Uint64
	reqBase      string
	closing      atomic.Bool
	listenMu     sync.Mutex
	lns          []net.Listener
}

// New builds a server; Serve starts it.
func New(opts Options) *Server {
	opts.defaults()
	mlog.SetLevel(mlog.Silent)
	s := &Server{opts: opts, reg: opts.Registry, log: opts.Logger, inner: newChanListener()}
	s.pending.max = opts.MaxPendingConns
	s.authLog.log = opts.Logger
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	s.reqBase = hex.EncodeToString(b)
	s.h2 = s.newH2Server()
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
	s.authLog.stop()
	done := make(chan struct{})
	go func() {
		// HTTP/2 connections say GOAWAY and finish their streams; martian's
		// wait includes the tunnels they are in.
		go func() { _ = s.h2.srv.Shutdown(ctx) }()
		s.mp.Close()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	_ = s.h2.close()
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

// PendingConns is the number of connections that have not authenticated.
func (s *Server) PendingConns() int { return s.pending.Len() }

func (s *Server) lookup(remote string) *clientConn {
	if v, ok := s.conns.Load(remote); ok {
		return v.(*clientConn)
	}
	return nil
}

func (s *Server) forget(c *clientConn) {
	s.conns.CompareAndDelete(c.remote.s, c)
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

// capRefused closes a connection past proxy.max_connections (none of the
// open ones was pending) and says so, at most once a second.
func (s *Server) capRefused(c net.Conn, max int) {
	_ = c.Close()
	n := s.refusedAtCap.Add(1)
	if s.capLogged.due() {
		s.refusedAtCap.Store(0)
		s.log.Warn("connections refused: proxy.max_connections reached and none is pending", "max", max, "refused", n, "since", "1s")
	}
}

// everySecond lets a line be logged at most once a second, from any
// goroutine.
type everySecond struct{ last atomic.Int64 } // unix nanos of the last line

// due reports whether a line may be logged now, and if so takes the turn.
func (e *everySecond) due() bool {
	now := time.Now().UnixNano()
	last := e.last.Load()
	return now-last >= int64(time.Second) && e.last.CompareAndSwap(last, now)
}

// wrap tracks an accepted connection.
func (s *Server) wrap(c net.Conn) *clientConn {
	// The address is formatted once: martian asks for it on every request.
	remote := namedAddr{Addr: c.RemoteAddr(), s: c.RemoteAddr().String()}
	cc := &clientConn{Conn: c, srv: s, remote: remote}
	s.nconns.Add(1)
	s.conns.Store(remote.s, cc)
	return cc
}

// trackingListener turns accepted connections into streams martian serves.
type trackingListener struct {
	net.Listener
	srv *Server
}

func (l *trackingListener) Accept() (net.Conn, error) {
	s := l.srv
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetKeepAlive(true)
			_ = tc.SetKeepAlivePeriod(time.Minute)
		}
		if max := s.opts.MaxConns; max > 0 && s.nconns.Load() >= int64(max) {
			old := s.pending.popOldest()
			if old == nil {
				s.capRefused(c, max)
				continue
			}
			_ = old.Close()
		}
		cc := s.wrap(c)
		entry, evict := s.pending.add(cc)
		cc.mu.Lock()
		cc.pend = entry
		cc.mu.Unlock()
		for _, e := range evict {
			_ = e.Close()
		}
		return s.newH1(cc, cc, nil), nil
	}
}
