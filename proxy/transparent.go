package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
)

// ServeTransparent accepts connections redirected by the host's firewall
// (iptables REDIRECT) on l. The sandbox is the one created with the
// connection's source address; the destination is SO_ORIGINAL_DST. A
// destination that tcp_hosts allows is joined as raw TCP; otherwise the
// first bytes say what it is: TLS (the host is the ClientHello's SNI),
// plain HTTP (the host is each request's Host) or neither (closed, with a
// record that says so). Connections from unknown sources are closed.
func (s *Server) ServeTransparent(l net.Listener) error {
	s.listenMu.Lock()
	s.lns = append(s.lns, l)
	s.listenMu.Unlock()
	for {
		c, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		go s.serveTransparent(c)
	}
}

func (s *Server) serveTransparent(c net.Conn) {
	defer func() {
		if r := recover(); r != nil {
			s.logPanic("serving a transparent connection", r)
			_ = c.Close()
		}
	}()
	src, ok := addrOf(c.RemoteAddr())
	sb, known := s.reg.BySource(src)
	if !ok || !known {
		s.log.Debug("transparent: refusing a connection from an unknown source", "remote", c.RemoteAddr().String())
		_ = c.Close()
		return
	}
	dst := originalDst(c)
	cc := s.wrap(c)
	defer cc.Close()
	start := time.Now()
	t := newTunnel(sb, dst.Addr().Unmap().String(), int(dst.Port()), "https")
	if err := cc.bind(sb); err != nil {
		if errors.Is(err, sandbox.ErrTooManyConns) {
			rec := s.connRecord(sb, t, start, protoTCP)
			rec.Decision, rec.Reason = "deny", reasonTooManyConns
			s.finish(rec)
		}
		return
	}
	if rule, ok := policy.MatchTCP(sb.Class, sb.Overrides(), t.host, t.port); ok {
		s.transparentTCP(cc, t, start, rule)
		return
	}
	br := bufio.NewReaderSize(cc, peekSize)
	_ = cc.SetReadDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	stream := &peekedConn{Conn: cc, r: br}
	switch {
	case first[0] == 0x16:
		s.transparentTLS(stream, br, cc, sb, dst, start)
	case looksLikeHTTP(br):
		_ = cc.SetReadDeadline(time.Time{})
		plain := &tunnel{sandbox: sb, port: int(dst.Port()), scheme: "http", fromHost: true}
		s.serveStream(s.newH1(stream, cc, plain))
	default:
		s.connFailed(t, start, reasonUnknownProto, errors.New("neither TLS nor HTTP, and tcp_hosts does not allow it"))
	}
}

// transparentTCP joins a redirected connection that tcp_hosts allows:
// it counts as one request, denied_hosts and the address guard first.
func (s *Server) transparentTCP(cc *clientConn, t *tunnel, start time.Time, rule string) {
	sb := t.sandbox
	rec := s.connRecord(sb, t, start, protoTCP)
	if ok, _ := sb.Allow(); !ok {
		rec.Decision, rec.Reason = "deny", reasonRateLimited
		s.finish(rec)
		return
	}
	if d, denied := policy.Denied(sb.Class, sb.Overrides(), t.host, t.port); denied {
		rec.setDecision(d)
		s.finish(rec)
		return
	}
	up, ok := s.dialRecorded(t, rec)
	if !ok {
		s.finish(rec)
		return
	}
	rec.Decision, rec.Rule, rec.Status, rec.Upstream = "allow", rule, http.StatusOK, up.RemoteAddr().String()
	rec.BytesUp, rec.BytesDown = joinEnds(connEnd(cc, nil), connEnd(up, nil), s.opts.TunnelIdleTimeout)
	s.finish(rec)
}

// dialRecorded dials a transparent tunnel's target through the guard; a
// failure is written into rec (a private_address deny, or upstream_error)
// and logged.
func (s *Server) dialRecorded(t *tunnel, rec *Record) (net.Conn, bool) {
	up, err := s.opts.Guard.DialContext(context.Background(), "tcp", t.authority)
	if err == nil {
		return up, true
	}
	if isAddressError(err) {
		rec.Decision, rec.Reason = "deny", policy.ReasonPrivate
		return nil, false
	}
	s.log.Warn("upstream failed", "request_id", rec.RequestID, "sandbox", t.sandbox.ID, "host", t.host, "err", err.Error())
	rec.fail(reasonUpstreamError)
	return nil, false
}

// transparentTLS terminates a redirected TLS connection with the sandbox's
// CA for the ClientHello's SNI (the original destination's IP when there is
// none) and dials that host on the original port. A class that does not
// intercept gets the SNI host checked and the bytes passed through.
func (s *Server) transparentTLS(stream net.Conn, br *bufio.Reader, cc *clientConn, sb *sandbox.Sandbox, dst netip.AddrPort, start time.Time) {
	port := int(dst.Port())
	hostFor := func(sni string) string {
		if h := hostpat.Normalize(sni); h != "" {
			return h
		}
		return dst.Addr().Unmap().String()
	}
	if !sb.Class.Intercept {
		s.transparentPassThrough(cc, br, sb, hostFor, port, start)
		return
	}
	var t *tunnel
	cfg := &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		t = newTunnel(sb, hostFor(hello.ServerName), port, "https")
		return sb.CA.ServerConfig(t.host, alpn(sb)...), nil
	}}
	tc := tls.Server(stream, cfg)
	if err := tc.Handshake(); err != nil {
		if t == nil {
			t = newTunnel(sb, hostFor(""), port, "https")
		}
		reason := reasonTLSFailed
		if bytes.Contains([]byte(err.Error()), []byte("application protocol")) {
			reason = reasonNoProtocol
		}
		s.connFailed(t, start, reason, err)
		return
	}
	_ = cc.SetDeadline(time.Time{})
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		s.serveH2(tc, cc, t)
		return
	}
	s.serveStream(s.newH1(tc, cc, t))
}

// transparentPassThrough reads the ClientHello's SNI without terminating
// TLS, decides on that host (steps 1 to 3 and 8 to 10) and, if allowed,
// replays the ClientHello to the upstream and joins the two.
func (s *Server) transparentPassThrough(cc *clientConn, br *bufio.Reader, sb *sandbox.Sandbox, hostFor func(string) string, port int, start time.Time) {
	var seen bytes.Buffer
	sni, _ := clientHelloSNI(io.TeeReader(br, &seen))
	t := newTunnel(sb, hostFor(sni), port, "https")
	rec := s.connRecord(sb, t, start, protoTCP)
	defer s.finish(rec)
	if ok, _ := sb.Allow(); !ok {
		rec.Decision, rec.Reason = "deny", reasonRateLimited
		return
	}
	d := policy.Decide(sb.Class, sb.Overrides(), t.host, t.port, false)
	rec.setDecision(d)
	if d.Action == policy.Deny {
		return
	}
	up, ok := s.dialRecorded(t, rec)
	if !ok {
		return
	}
	if _, err := up.Write(seen.Bytes()); err != nil {
		_ = up.Close()
		rec.fail(reasonUpstreamError)
		return
	}
	_ = cc.SetDeadline(time.Time{})
	rec.Status, rec.Upstream = http.StatusOK, up.RemoteAddr().String()
	rec.BytesUp, rec.BytesDown = joinEnds(connEnd(cc, br), connEnd(up, nil), s.opts.TunnelIdleTimeout)
	rec.BytesUp += int64(seen.Len())
}

// clientHelloSNI reads a TLS ClientHello from r and returns its server
// name; the handshake is abandoned right after.
func clientHelloSNI(r io.Reader) (string, error) {
	var sni string
	errStop := errors.New("stop after the ClientHello")
	cfg := &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		sni = h.ServerName
		return nil, errStop
	}}
	err := tls.Server(readOnlyConn{r: r}, cfg).Handshake()
	if sni == "" && err != nil && !errors.Is(err, errStop) {
		return "", err
	}
	return sni, nil
}

// readOnlyConn lets crypto/tls read a ClientHello and write nothing.
type readOnlyConn struct {
	net.Conn
	r io.Reader
}

func (c readOnlyConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c readOnlyConn) Write(p []byte) (int, error)        { return 0, io.ErrClosedPipe }
func (c readOnlyConn) Close() error                       { return nil }
func (c readOnlyConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c readOnlyConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c readOnlyConn) SetDeadline(t time.Time) error      { return nil }
func (c readOnlyConn) SetReadDeadline(t time.Time) error  { return nil }
func (c readOnlyConn) SetWriteDeadline(t time.Time) error { return nil }

func addrOf(a net.Addr) (netip.Addr, bool) {
	if na, ok := a.(namedAddr); ok {
		a = na.Addr
	}
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	return ip.Unmap(), ok
}

// originalDst is the destination before the firewall's REDIRECT, or the
// local address when the connection was not redirected.
func originalDst(c net.Conn) netip.AddrPort {
	local, _ := c.LocalAddr().(*net.TCPAddr)
	fallback := netip.AddrPort{}
	if local != nil {
		fallback = local.AddrPort()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return fallback
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return fallback
	}
	var out netip.AddrPort
	_ = raw.Control(func(fd uintptr) {
		const soOriginalDst = 80 // linux/netfilter_ipv4.h
		var sa syscall.RawSockaddrInet4
		size := uint32(unsafe.Sizeof(sa))
		_, _, errno := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.SOL_IP, soOriginalDst,
			uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&size)), 0)
		if errno != 0 || sa.Family != syscall.AF_INET {
			return
		}
		port := uint16(sa.Port>>8) | uint16(sa.Port&0xff)<<8
		out = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port)
	})
	if !out.IsValid() {
		return fallback
	}
	return out
}

// transparentOutgoing builds the upstream request of plain HTTP redirected
// to the transparent listener: the Host header names the host, the
// original destination gives the port.
func transparentOutgoing(req, out *http.Request, t *tunnel) (string, int, *http.Response) {
	h := req.Host
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	host := hostpat.Normalize(h)
	if host == "" {
		return "", 0, badRequest(req, http.StatusBadRequest, "transparent HTTP request without a Host header")
	}
	out.URL.Scheme = "http"
	out.URL.Host = net.JoinHostPort(host, strconv.Itoa(t.port))
	out.Host = hostHeader(host, t.port, 80)
	return host, t.port, nil
}
