package proxy

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/martian/v3"

	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/policy"
)

// hijackConnect is martian's only request modifier. It takes every CONNECT
// away from martian (which would dial the target itself) and serves the
// tunnel to its end before returning, so martian's loop for the outer
// connection stays parked and never reads from it concurrently. A panic
// ends this connection only.
func (s *Server) hijackConnect(req *http.Request) error {
	if req.Method != http.MethodConnect {
		return nil
	}
	conn, brw, err := martian.NewContext(req).Session().Hijack()
	if err != nil {
		return err
	}
	defer conn.Close()
	defer func() {
		if r := recover(); r != nil {
			s.logPanic("serving a CONNECT", r)
		}
	}()
	c, ok := conn.(*h1Conn)
	if !ok {
		writeResponse(brw, closing(badRequest(req, http.StatusInternalServerError, "unexpected connection type")))
		return nil
	}
	s.serveConnect(req, c, brw)
	return nil
}

// serveConnect decides a CONNECT: authentication, the connection cap and
// rate limit, then a raw TCP tunnel (tcp_hosts), a pass-through tunnel
// (intercept_https: false) or interception.
func (s *Server) serveConnect(req *http.Request, c *h1Conn, brw *bufio.ReadWriter) {
	start := time.Now()
	if c.tun != nil {
		writeResponse(brw, closing(badRequest(req, http.StatusMethodNotAllowed, "CONNECT inside a tunnel is not supported")))
		return
	}
	sb, ok := s.authenticate(req.Header)
	if !ok {
		s.authFailed(c.cc)
		writeResponse(brw, closing(authRequired(req)))
		return
	}
	if res := s.bindConn(c.cc, sb, req, start); res != nil {
		writeResponse(brw, res)
		return
	}
	host, port, err := connectTarget(req)
	if err != nil {
		writeResponse(brw, closing(badRequest(req, http.StatusBadRequest, err.Error())))
		return
	}
	t := newTunnel(sb, host, port, "https")
	rec := s.connRecord(sb, t, start, protoTCP)
	if res := s.admit(req, sb, rec); res != nil {
		s.refuseConnect(brw, rec, res)
		return
	}
	o := sb.Overrides()
	if rule, ok := policy.MatchTCP(sb.Class, o, host, port); ok {
		s.tcpTunnel(req, c, brw, t, rec, rule)
		return
	}
	if !sb.Class.Intercept {
		s.passThrough(req, c, brw, t, rec)
		return
	}
	writeRaw(brw, "HTTP/1.1 200 Connection established\r\n\r\n")
	s.intercept(c, t, start)
}

// refuseConnect answers a CONNECT with a refusal and records it.
func (s *Server) refuseConnect(brw *bufio.ReadWriter, rec *Record, res *http.Response) {
	rec.Status = res.StatusCode
	res.Header.Set(headerRequestID, rec.RequestID)
	writeResponse(brw, closing(res))
	s.finish(rec)
}

// tcpTunnel joins a CONNECT that tcp_hosts allows as a raw TCP tunnel:
// denied_hosts first, then the address guard, never interception.
func (s *Server) tcpTunnel(req *http.Request, c *h1Conn, brw *bufio.ReadWriter, t *tunnel, rec *Record, rule string) {
	sb := t.sandbox
	if d, denied := policy.Denied(sb.Class, sb.Overrides(), t.host, t.port); denied {
		rec.setDecision(d)
		s.refuseConnect(brw, rec, denyResponse(req, sb.Class.DenyStatus, d.Reason, t.host, sb.ID))
		return
	}
	rec.Decision, rec.Rule = "allow", rule
	s.dialAndJoin(req, c, brw, t, rec)
}

// passThrough serves a CONNECT whose class does not intercept: only the
// CONNECT host is checked (steps 1 to 3 and 8 to 10), then bytes are copied.
func (s *Server) passThrough(req *http.Request, c *h1Conn, brw *bufio.ReadWriter, t *tunnel, rec *Record) {
	sb := t.sandbox
	d := policy.Decide(sb.Class, sb.Overrides(), t.host, t.port, false)
	rec.setDecision(d)
	if d.Action == policy.Deny {
		s.refuseConnect(brw, rec, denyResponse(req, sb.Class.DenyStatus, d.Reason, t.host, sb.ID))
		return
	}
	s.dialAndJoin(req, c, brw, t, rec)
}

// dialAndJoin dials the tunnel's target through the guard, answers 200 and
// joins the two connections; the record is emitted when the tunnel closes.
func (s *Server) dialAndJoin(req *http.Request, c *h1Conn, brw *bufio.ReadWriter, t *tunnel, rec *Record) {
	up, err := s.opts.Guard.DialContext(req.Context(), "tcp", t.authority)
	if err != nil {
		res := s.upstreamFailure(req, rec, t.sandbox, t.host, err)
		s.refuseConnect(brw, rec, res)
		return
	}
	rec.Upstream = up.RemoteAddr().String()
	rec.Status = http.StatusOK
	writeRaw(brw, "HTTP/1.1 200 Connection established\r\n\r\n")
	rec.BytesUp, rec.BytesDown = joinEnds(connEnd(c, brw.Reader), connEnd(up, nil), s.opts.TunnelIdleTimeout)
	s.finish(rec)
}

// intercept serves an intercepted tunnel after its 200: the first bytes
// say what it carries. A TLS ClientHello is terminated with a leaf of the
// sandbox's own CA for the CONNECT host, offering h2 and http/1.1; plain
// HTTP is served as such, with the CONNECT target as its upstream. Anything
// else ends the tunnel, with a record that says why.
func (s *Server) intercept(c *h1Conn, t *tunnel, start time.Time) {
	br := bufio.NewReaderSize(c, peekSize)
	_ = c.cc.Conn.SetReadDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	first, err := br.Peek(1)
	if err != nil {
		s.connFailed(t, start, reasonTLSFailed, err) // the sandbox hung up before a byte
		return
	}
	stream := &peekedConn{Conn: c, r: br}
	switch {
	case first[0] == 0x16: // a TLS handshake record
		s.serveTLS(stream, c.cc, t, start)
	case looksLikeHTTP(br):
		_ = c.cc.Conn.SetReadDeadline(time.Time{})
		plain := newTunnel(t.sandbox, t.host, t.port, "http")
		s.serveStream(s.newH1(stream, c.cc, plain))
	default:
		s.connFailed(t, start, reasonUnknownProto, errors.New("neither TLS nor HTTP"))
	}
}

// serveTLS terminates the sandbox's TLS and serves what ALPN chose: HTTP/2
// on x/net/http2, HTTP/1.1 on martian; both decide through exchange.
func (s *Server) serveTLS(stream net.Conn, cc *clientConn, t *tunnel, start time.Time) {
	tc := tls.Server(stream, t.sandbox.CA.ServerConfig(t.host, alpn(t.sandbox)...))
	_ = cc.Conn.SetDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		reason := reasonTLSFailed
		if strings.Contains(err.Error(), "application protocol") {
			reason = reasonNoProtocol
		}
		s.connFailed(t, start, reason, err)
		return
	}
	_ = cc.Conn.SetDeadline(time.Time{})
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		s.serveH2(tc, cc, t)
		return
	}
	s.serveStream(s.newH1(tc, cc, t))
}

// serveStream hands a stream to martian and waits until martian is done
// with it.
func (s *Server) serveStream(h *h1Conn) {
	h.done = make(chan struct{})
	if !s.inner.push(h) {
		return
	}
	<-h.done
}

// connFailed records a tunnel that failed before its first request.
func (s *Server) connFailed(t *tunnel, start time.Time, reason string, err error) {
	s.log.Info("tunnel failed before its first request", "sandbox", t.sandbox.ID, "host", t.host, "reason", reason, "err", err.Error())
	rec := s.connRecord(t.sandbox, t, start, protoTCP)
	rec.fail(reason)
	s.finish(rec)
}

// peekSize is the buffer that tells TLS from HTTP at a tunnel's start. It
// stays with the connection for its life, and reads larger than it pass it
// by, so it is small.
const peekSize = 64

// peekedConn reads what a bufio.Reader peeked first, then the connection.
type peekedConn struct {
	net.Conn
	r io.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// looksLikeHTTP reports whether the buffered start is an HTTP/1 request line.
func looksLikeHTTP(br *bufio.Reader) bool {
	b, _ := br.Peek(8)
	for i, ch := range b {
		if ch == ' ' {
			return i > 0
		}
		if ch < 'A' || ch > 'Z' {
			return false
		}
	}
	return false
}

// connectTarget parses the CONNECT authority: host:port, port required.
func connectTarget(req *http.Request) (string, int, error) {
	authority := req.RequestURI
	if authority == "" {
		authority = req.Host
	}
	h, p, err := net.SplitHostPort(authority)
	if err != nil {
		return "", 0, errBadTarget(authority)
	}
	port, ok := parsePort(p)
	if !ok || h == "" {
		return "", 0, errBadTarget(authority)
	}
	return hostpat.Normalize(h), port, nil
}

type errBadTarget string

func (e errBadTarget) Error() string {
	return "bad CONNECT target " + strconv.Quote(string(e)) + ": want host:port"
}

func writeResponse(w *bufio.ReadWriter, res *http.Response) {
	_ = res.Write(w)
	_ = w.Flush()
}

func writeRaw(w *bufio.ReadWriter, s string) {
	_, _ = w.WriteString(s)
	_ = w.Flush()
}

// chanListener hands streams whose TLS sandgate terminated (or plain HTTP
// inside a tunnel) to martian.
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
