package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestGuardAllowed(t *testing.T) {
	g := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")},
		Interfaces: func() ([]net.Addr, error) {
			return []net.Addr{&net.IPNet{IP: net.ParseIP("93.184.215.14"), Mask: net.CIDRMask(24, 32)}}, nil
		}}
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true},
		{"2606:4700::1111", true},
		{"127.0.0.1", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"10.9.1.1", true}, // allow_cidrs
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"fe80::1", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"100.64.0.1", false},
		{"fc00::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"64:ff9b::a9fe:a9fe", false},
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		{"64:ff9b:1::1", false},
		// The documentation ranges.
		{"192.0.2.10", false},
		{"198.51.100.7", false},
		{"203.0.113.200", false},
		{"2001:db8::1", false},
		// IPv6 forms of 127.0.0.1 and of private addresses.
		{"::127.0.0.1", false},                          // IPv4-compatible
		{"::7f00:1", false},                             // the same, written in hex
		{"2002:7f00:1::1", false},                       // 6to4
		{"2002:a00:1::", false},                         // 6to4 of 10.0.0.1
		{"2002:808:808::1", true},                       // 6to4 of 8.8.8.8
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", false}, // Teredo: client 127.0.0.1
		{"2001:0:7f00:1:8000:63bf:f7f7:f7f7", false},    // Teredo: server 127.0.0.1
		{"2001:0:808:808:0:0:f7f7:f7f7", true},          // Teredo: server and client 8.8.8.8
		{"::8.8.8.8", true},
		{"fec0::1", false},
		// The host's own (public) address, as Interfaces reports it.
		{"93.184.215.14", false},
		{"::ffff:93.184.215.14", false},
		{"2002:5db8:d70e::1", false}, // 6to4 of the host's own address
	} {
		t.Run(tc.addr, func(t *testing.T) {
			if got := g.Allowed(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGuardAllowListWinsOverOwnAddress(t *testing.T) {
	own := func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.ParseIP("93.184.215.14"), Mask: net.CIDRMask(24, 32)}}, nil
	}
	g := &Guard{Interfaces: own, Allow: []netip.Prefix{netip.MustParsePrefix("93.184.215.14/32")}}
	if !g.Allowed(netip.MustParseAddr("93.184.215.14")) {
		t.Error("an own address listed in allow_cidrs was refused")
	}
	if !g.Allowed(netip.MustParseAddr("2002:5db8:d70e::1")) {
		t.Error("the 6to4 form of an allowed address was refused")
	}
}

func TestGuardDialsTheCheckedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed := &Guard{}
	_, err = closed.DialContext(context.Background(), "tcp", ln.Addr().String())
	var ae *AddressError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an AddressError", err)
	}
	open := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	c, err := open.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("allowed dial failed: %v", err)
	}
	c.Close()
	// "localhost" resolves to loopback: refused without the allowance.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if _, err := closed.DialContext(context.Background(), "tcp", "localhost:"+port); !errors.As(err, &ae) {
		t.Fatalf("localhost: got %v, want an AddressError", err)
	}
}

func TestGuardNeverDialsItsOwnListeners(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	self := ln.Addr().(*net.TCPAddr).AddrPort()
	g := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Self: []netip.AddrPort{self}}
	var ae *AddressError
	if _, err := g.DialContext(context.Background(), "tcp", ln.Addr().String()); !errors.As(err, &ae) {
		t.Fatalf("dialing its own listener: got %v, want an AddressError", err)
	}
	for _, tc := range []struct {
		listen, dial string
		want         bool
	}{
		{"127.0.0.1:9180", "127.0.0.1:9180", true},
		{"127.0.0.1:9180", "127.0.0.2:9180", true},
		{"0.0.0.0:9180", "10.1.2.3:9180", true},
		{"0.0.0.0:9180", "10.1.2.3:9181", false},
		{"10.0.0.5:3128", "8.8.8.8:3128", false},
		{"10.0.0.5:3128", "10.0.0.5:3128", true},
	} {
		g := &Guard{Self: []netip.AddrPort{netip.MustParseAddrPort(tc.listen)}}
		d := netip.MustParseAddrPort(tc.dial)
		if got := g.isSelf(d.Addr(), d.Port()); got != tc.want {
			t.Errorf("listen %s, dial %s: got %v, want %v", tc.listen, tc.dial, got, tc.want)
		}
	}
}
