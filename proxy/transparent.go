package proxy

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/sandgate/sandgate/sandbox"

	"github.com/sandgate/sandgate/engine/hostpat"
)

// ServeTransparent accepts connections redirected by the host's firewall
// (iptables REDIRECT) on l. The sandbox is the one created with the
// connection's source address; the destination is SO_ORIGINAL_DST; the host
// is the TLS ClientHello's SNI or the HTTP Host header. Anything else, and
// connections from unknown sources, are closed.
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
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		go s.serveTransparent(c)
	}
}

func (s *Server) serveTransparent(c net.Conn) {
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
	if !cc.bind(sb) {
		return
	}
	br := bufio.NewReader(cc)
	cc.hardDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	if first[0] == 0x16 { // a TLS handshake record
		s.transparentTLS(cc, br, sb, dst)
		return
	}
	if !looksLikeHTTP(br) {
		s.log.Info("transparent: refusing non-HTTP traffic", "sandbox", sb.ID, "dst", dst.String())
		return
	}
	cc.hardDeadline(time.Time{})
	cc.setTunnel(&tunnel{sandbox: sb, port: int(dst.Port()), plain: true})
	inner := &peekedConn{clientConn: cc, r: br, done: make(chan struct{})}
	if s.inner.push(inner) {
		<-inner.done
	}
}

func (s *Server) transparentTLS(cc *clientConn, br *bufio.Reader, sb *sandbox.Sandbox, dst netip.AddrPort) {
	inner := &peekedConn{clientConn: cc, r: br, done: make(chan struct{})}
	port := int(dst.Port())
	cfg := &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		host := hostpat.Normalize(hello.ServerName)
		if host == "" {
			host = dst.Addr().Unmap().String()
		}
		cc.setTunnel(newTunnel(sb, host, port))
		return sb.CA.ServerConfig(host), nil
	}}
	tc := tls.Server(inner, cfg)
	if err := tc.Handshake(); err != nil {
		s.log.Debug("transparent: tls handshake failed", "sandbox", sb.ID, "err", err)
		return
	}
	cc.hardDeadline(time.Time{})
	if s.inner.push(tc) {
		<-inner.done
	}
}

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
