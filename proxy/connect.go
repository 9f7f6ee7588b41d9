package proxy

import (
	"bufio"
	"crypto/tls"
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
// connection stays parked and never reads from it concurrently.
func (s *Server) hijackConnect(req *http.Request) error {
	if req.Method != http.MethodConnect {
		return nil
	}
	conn, brw, err := martian.NewContext(req).Session().Hijack()
	if err != nil {
		return err
	}
	defer conn.Close()
	s.serveConnect(req, conn, brw)
	return nil
}

func (s *Server) serveConnect(req *http.Request, conn net.Conn, brw *bufio.ReadWriter) {
	start := time.Now()
	cc, ok := conn.(*clientConn)
	if !ok || cc.currentTunnel() != nil {
		writeResponse(brw, badRequest(req, http.StatusMethodNotAllowed, "CONNECT inside a tunnel is not supported"))
		return
	}
	sb, ok := s.authenticate(req.Header)
	if !ok || !cc.bind(sb) {
		writeResponse(brw, closing(authRequired(req)))
		return
	}
	host, port, err := connectTarget(req)
	if err != nil {
		writeResponse(brw, closing(badRequest(req, http.StatusBadRequest, err.Error())))
		return
	}
	rec := s.newRecord(req, sb, start)
	rec.Method, rec.Scheme, rec.Host, rec.Port = http.MethodConnect, "https", host, port
	t := newTunnel(sb, host, port)
	if !sb.Class.Intercept {
		s.passThrough(req, cc, brw, t, rec)
		return
	}
	cc.setTunnel(t)
	writeRaw(brw, "HTTP/1.1 200 Connection established\r\n\r\n")
	s.intercept(cc, brw, t)
}

// intercept terminates the sandbox's TLS with a leaf of the sandbox's own CA
// for the CONNECT host, then hands the TLS connection to martian. Every
// inner request then comes to RoundTrip, which finds this tunnel again by
// the connection's remote address.
func (s *Server) intercept(cc *clientConn, brw *bufio.ReadWriter, t *tunnel) {
	inner := &peekedConn{clientConn: cc, r: brw.Reader, done: make(chan struct{})}
	tc := tls.Server(inner, t.sandbox.CA.ServerConfig(t.host))
	cc.hardDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		s.log.Debug("tls handshake with sandbox failed", "sandbox", t.sandbox.ID, "host", t.host, "err", err)
		return
	}
	cc.hardDeadline(time.Time{})
	if !s.inner.push(tc) {
		return
	}
	<-inner.done
}

// peekedConn reads what martian buffered after the CONNECT first, and tells
// the hijacker when martian closes the TLS connection on top of it.
type peekedConn struct {
	*clientConn
	r        io.Reader
	done     chan struct{}
	doneOnce sync.Once
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

func (p *peekedConn) Close() error {
	p.doneOnce.Do(func() { close(p.done) })
	return p.clientConn.Close()
}

// passThrough serves a CONNECT whose class does not intercept: only the
// CONNECT host is checked (steps 1 to 3 and 8 to 10), then bytes are copied.
func (s *Server) passThrough(req *http.Request, cc *clientConn, brw *bufio.ReadWriter, t *tunnel, rec *Record) {
	defer s.finish(rec)
	d := policy.Decide(t.sandbox.Class, t.sandbox.Overrides(), t.host, t.port, false)
	rec.setDecision(d)
	if d.Action == policy.Deny {
		res := denyResponse(req, t.sandbox.Class.DenyStatus, d.Reason, t.host, t.sandbox.ID)
		rec.Status = res.StatusCode
		writeResponse(brw, closing(res))
		return
	}
	up, err := s.opts.Guard.DialContext(req.Context(), "tcp", t.authority)
	if err != nil {
		res := s.upstreamFailure(req, rec, t.sandbox, t.host, err)
		writeResponse(brw, closing(res))
		return
	}
	defer up.Close()
	rec.Upstream = up.RemoteAddr().String()
	rec.Status = http.StatusOK
	writeRaw(brw, "HTTP/1.1 200 Connection established\r\n\r\n")
	in, out := splice(cc, brw.Reader, up)
	rec.BytesUp, rec.BytesDown = in, out
}

// splice copies both ways until either side ends, then closes both.
func splice(cc *clientConn, fromClient io.Reader, up net.Conn) (upBytes, downBytes int64) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		downBytes, _ = io.Copy(cc, up)
		_ = cc.Close()
	}()
	upBytes, _ = io.Copy(up, fromClient)
	_ = up.Close()
	wg.Wait()
	return upBytes, downBytes
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

func closing(res *http.Response) *http.Response {
	res.Close = true
	return res
}

func writeResponse(w *bufio.ReadWriter, res *http.Response) {
	_ = res.Write(w)
	_ = w.Flush()
}

func writeRaw(w *bufio.ReadWriter, s string) {
	_, _ = w.WriteString(s)
	_ = w.Flush()
}

// sameHost compares an inner Host header with the CONNECT target,
// case-insensitively and ignoring the scheme's default port.
func sameHost(hostHeader string, t *tunnel, defaultPort int) bool {
	h, p := hostHeader, ""
	if i := strings.LastIndexByte(hostHeader, ':'); i >= 0 && !strings.HasSuffix(hostHeader, "]") {
		h, p = hostHeader[:i], hostHeader[i+1:]
	}
	port := defaultPort
	if p != "" {
		n, ok := parsePort(p)
		if !ok {
			return false
		}
		port = n
	}
	return hostpat.Normalize(h) == t.host && port == t.port
}
