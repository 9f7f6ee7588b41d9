package proxy

import "testing"

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
