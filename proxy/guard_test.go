package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestGuardAllowed(t *testing.T) {
	g := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}}
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
	} {
		t.Run(tc.addr, func(t *testing.T) {
			if got := g.Allowed(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
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
