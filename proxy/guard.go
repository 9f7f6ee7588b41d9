package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// AddressError is a refused dial: every address of Host is one the guard
// does not allow.
type AddressError struct {
	Host string
	Addr netip.Addr
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("proxy: refusing to dial %s: address %s is not public (add it to egress.allow_cidrs to allow it)", e.Host, e.Addr)
}

// Guard dials only public addresses, or those in Allow. The address it
// checks is the address it dials: it resolves once and dials the IP.
type Guard struct {
	// Allow lists private ranges that may be dialed.
	Allow []netip.Prefix
	// DialTimeout bounds one connect (default 10s).
	DialTimeout time.Duration
	// Resolver looks hosts up. If nil, net.DefaultResolver is used.
	Resolver *net.Resolver
	// Self lists sandgate's own listeners (proxy, transparent, admin). They
	// are never dialed, even when allow_cidrs covers their address, so a
	// sandbox cannot reach the admin API or loop through the proxy.
	Self []netip.AddrPort
}

// special lists ranges refused besides those netip classifies: shared
// address space, benchmarking, reserved, "this network", IETF protocol
// assignments and NAT64.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// Allowed reports whether a may be dialed.
func (g *Guard) Allowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range g.Allow {
		if p.Contains(a) {
			return true
		}
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range special {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// DialContext resolves addr's host once, drops refused addresses and dials
// the rest in order. If none is allowed it returns an *AddressError.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("proxy: dialing %q: %w", addr, err)
	}
	ips, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var refused netip.Addr
	var lastErr error
	d := net.Dialer{Timeout: g.timeout(), KeepAlive: 30 * time.Second}
	portNum, _ := strconv.Atoi(port)
	for _, ip := range ips {
		if !g.Allowed(ip) || g.isSelf(ip, uint16(portNum)) {
			refused = ip
			continue
		}
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, &AddressError{Host: host, Addr: refused}
}

// isSelf reports whether ip:port is one of sandgate's own listeners. A
// listener on an unspecified address answers on every local address, so
// for it any loopback or private address with its port counts.
func (g *Guard) isSelf(ip netip.Addr, port uint16) bool {
	for _, s := range g.Self {
		if s.Port() != port {
			continue
		}
		l := s.Addr().Unmap()
		if l == ip || ip.IsLoopback() || (l.IsUnspecified() && (ip.IsPrivate() || ip.IsLinkLocalUnicast())) {
			return true
		}
	}
	return false
}

func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout())
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("proxy: resolving %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("proxy: resolving %s: no addresses", host)
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, nil
}

func (g *Guard) timeout() time.Duration {
	if g.DialTimeout > 0 {
		return g.DialTimeout
	}
	return 10 * time.Second
}

// isAddressError reports whether err is (or wraps) a guard refusal.
func isAddressError(err error) bool {
	var ae *AddressError
	return errors.As(err, &ae)
}

// dialPooled is DialContext for the shared transport: its connections
// format their remote address once, since the audit record of every request
// sent on one names that address and a pooled connection serves thousands.
func (g *Guard) dialPooled(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := g.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &upstreamConn{Conn: c, remote: namedAddr{Addr: c.RemoteAddr(), s: c.RemoteAddr().String()}}, nil
}

// upstreamConn is a pooled upstream connection with its remote address
// formatted.
type upstreamConn struct {
	net.Conn
	remote namedAddr
}

func (c *upstreamConn) RemoteAddr() net.Addr { return c.remote }

// namedAddr is an address with its String computed in advance.
type namedAddr struct {
	net.Addr
	s string
}

func (a namedAddr) String() string { return a.s }
