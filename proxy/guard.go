package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
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
	// Interfaces lists the gateway host's own addresses, which are refused
	// unless Allow lists them. If nil, net.InterfaceAddrs (read at most
	// once every two seconds).
	Interfaces func() ([]net.Addr, error)

	own ownAddrs
}

// refused lists ranges refused besides those netip classifies: "this
// network", shared address space, IETF protocol assignments, benchmarking,
// the documentation ranges, reserved, local-use NAT64 and site-local IPv6.
var refused = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("fec0::/10"),
}

// Allowed reports whether a may be dialed: listed in Allow, or public and
// not one of the host's own addresses. An IPv6 address that embeds an IPv4
// address (mapped, compatible, NAT64, 6to4, Teredo) is judged by what it
// embeds; Teredo embeds two, and both must pass.
func (g *Guard) Allowed(a netip.Addr) bool {
	a = a.Unmap()
	if g.listed(a) {
		return true
	}
	if v4s := embeddedIPv4(a); len(v4s) > 0 {
		for _, v4 := range v4s {
			if !g.listed(v4) && !g.public(v4) {
				return false
			}
		}
		return true
	}
	return g.public(a)
}

func (g *Guard) listed(a netip.Addr) bool {
	for _, p := range g.Allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// public reports an address that is none of the refused kinds and not the
// gateway host's own.
func (g *Guard) public(a netip.Addr) bool {
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range refused {
		if p.Contains(a) {
			return false
		}
	}
	return !g.own.has(a, g.Interfaces)
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
	teredo = netip.MustParsePrefix("2001::/32")
)

// embeddedIPv4 returns the IPv4 addresses an IPv6 address carries:
// IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and
// Teredo (2001::/32: its server, and its client with the bits flipped).
// IPv4-mapped addresses were unmapped before.
func embeddedIPv4(a netip.Addr) []netip.Addr {
	if !a.Is6() {
		return nil
	}
	b := a.As16()
	v4 := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{b[i], b[i+1], b[i+2], b[i+3]}) }
	switch {
	case nat64.Contains(a):
		return []netip.Addr{v4(12)}
	case sixTo4.Contains(a):
		return []netip.Addr{v4(2)}
	case teredo.Contains(a):
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		return []netip.Addr{v4(4), client}
	}
	for _, x := range b[:12] {
		if x != 0 {
			return nil
		}
	}
	if a.IsUnspecified() || a.IsLoopback() {
		return nil
	}
	return []netip.Addr{v4(12)} // IPv4-compatible
}

// ownAddrs caches the host's interface addresses.
type ownAddrs struct {
	mu  sync.Mutex
	at  time.Time
	set map[netip.Addr]struct{}
}

const ownAddrsTTL = 2 * time.Second

func (o *ownAddrs) has(a netip.Addr, list func() ([]net.Addr, error)) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.set == nil || time.Since(o.at) > ownAddrsTTL {
		o.refresh(list)
	}
	_, ok := o.set[a]
	return ok
}

func (o *ownAddrs) refresh(list func() ([]net.Addr, error)) {
	if list == nil {
		list = net.InterfaceAddrs
	}
	o.at = time.Now()
	addrs, err := list()
	if err != nil && o.set != nil {
		return // keep the last known set
	}
	set := make(map[netip.Addr]struct{}, len(addrs))
	for _, ad := range addrs {
		if p, err := netip.ParsePrefix(ad.String()); err == nil {
			set[p.Addr().Unmap()] = struct{}{}
		} else if ip, err := netip.ParseAddr(ad.String()); err == nil {
			set[ip.Unmap()] = struct{}{}
		}
	}
	o.set = set
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
