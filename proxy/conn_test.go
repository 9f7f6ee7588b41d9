package proxy

import (
	"net"
	"testing"
)

func TestHostHeader(t *testing.T) {
	for _, tc := range []struct {
		host        string
		port, deflt int
		want        string
	}{
		{"example.com", 443, 443, "example.com"},
		{"example.com", 8443, 443, "example.com:8443"},
		{"::1", 443, 443, "[::1]"},
		{"::1", 8443, 443, "[::1]:8443"},
		{"::1", 80, 80, "[::1]"},
		{"10.0.0.1", 8080, 80, "10.0.0.1:8080"},
	} {
		if got := hostHeader(tc.host, tc.port, tc.deflt); got != tc.want {
			t.Errorf("hostHeader(%q, %d, %d): got %q, want %q", tc.host, tc.port, tc.deflt, got, tc.want)
		}
	}
}

func TestParsePort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{{"1", true}, {"65535", true}, {"0", false}, {"65536", false}, {"x", false}, {"", false}, {"-1", false}} {
		if _, ok := parsePort(tc.in); ok != tc.want {
			t.Errorf("parsePort(%q): got %v, want %v", tc.in, ok, tc.want)
		}
	}
}

func TestClientConnAddressFormattedOnce(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	tcp := &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 40000}
	cc := &clientConn{Conn: a, remote: namedAddr{Addr: tcp, s: tcp.String()}}
	if got := cc.RemoteAddr().String(); got != "10.1.2.3:40000" {
		t.Errorf("got %q, want 10.1.2.3:40000", got)
	}
	// The transparent listener still finds the IP behind the named address.
	ip, ok := addrOf(cc.RemoteAddr())
	if !ok || ip.String() != "10.1.2.3" {
		t.Errorf("addrOf: got %v %v, want 10.1.2.3", ip, ok)
	}
}
