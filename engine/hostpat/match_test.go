package hostpat

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		host    string
		port    int
		want    bool
	}{
		// Cloudflare's examples.
		{name: "subdomain", pattern: "*.example.com", host: "a.example.com", port: 443, want: true},
		{name: "deep subdomain", pattern: "*.example.com", host: "a.b.example.com", port: 443, want: true},
		{name: "apex not subdomain", pattern: "*.example.com", host: "example.com", port: 443},
		{name: "suffix lookalike", pattern: "*.example.com", host: "badexample.com", port: 443},
		{name: "tld glob", pattern: "google.*", host: "google.co.uk", port: 443, want: true},
		{name: "tld glob com", pattern: "google.*", host: "google.com", port: 443, want: true},
		{name: "tld glob not prefix", pattern: "google.*", host: "googlex.com", port: 443},
		{name: "bare star", pattern: "*", host: "anything.at.all", port: 80, want: true},
		{name: "bare star ip", pattern: "*", host: "10.1.2.3", port: 80, want: true},
		{name: "bare star ipv6", pattern: "*", host: "2001:db8::1", port: 80, want: true},
		{name: "inner star", pattern: "api-*.example.com", host: "api-eu.example.com", want: true},
		{name: "inner star empty run", pattern: "api-*.example.com", host: "api-.example.com", want: true},
		{name: "inner star miss", pattern: "api-*.example.com", host: "web-eu.example.com"},
		{name: "many stars", pattern: "*a*b*c*", host: "xxaxxbxxcxx", want: true},
		{name: "many stars order", pattern: "*a*b*c*", host: "cba"},
		{name: "head mid tail", pattern: "s3.*.amazonaws.*", host: "s3.eu-west-1.amazonaws.com", want: true},
		{name: "overlap guard", pattern: "ab*ba", host: "aba"},
		{name: "overlap ok", pattern: "ab*ba", host: "abba", want: true},
		{name: "exact", pattern: "example.com", host: "example.com", want: true},
		{name: "exact not sub", pattern: "example.com", host: "a.example.com"},

		// Case and normalization.
		{name: "pattern case", pattern: "EXAMPLE.com", host: "example.com", want: true},
		{name: "host case", pattern: "*.example.com", host: "WWW.Example.COM", want: true},
		{name: "host trailing dot", pattern: "example.com", host: "example.com.", want: true},
		{name: "host brackets", pattern: "2001:db8::1", host: "[2001:db8::1]", want: true},

		// Ports.
		{name: "portless any port", pattern: "example.com", host: "example.com", port: 8443, want: true},
		{name: "port match", pattern: "example.com:443", host: "example.com", port: 443, want: true},
		{name: "port mismatch", pattern: "example.com:443", host: "example.com", port: 80},
		{name: "port zero", pattern: "example.com:443", host: "example.com", port: 0},
		{name: "glob port", pattern: "*.example.com:8080", host: "a.example.com", port: 8080, want: true},
		{name: "glob port miss", pattern: "*.example.com:8080", host: "a.example.com", port: 443},

		// IP literals and CIDRs.
		{name: "ipv4", pattern: "127.0.0.1", host: "127.0.0.1", want: true},
		{name: "ipv4 other", pattern: "127.0.0.1", host: "127.0.0.2"},
		{name: "ipv4 port", pattern: "127.0.0.1:8080", host: "127.0.0.1", port: 8080, want: true},
		{name: "cidr4 in", pattern: "10.0.0.0/8", host: "10.200.3.4", want: true},
		{name: "cidr4 out", pattern: "10.0.0.0/8", host: "11.0.0.1"},
		{name: "cidr4 port", pattern: "10.0.0.0/8:8080", host: "10.0.0.1", port: 8080, want: true},
		{name: "cidr4 port miss", pattern: "10.0.0.0/8:8080", host: "10.0.0.1", port: 80},
		{name: "cidr not a name", pattern: "10.0.0.0/8", host: "10.example.com"},
		{name: "ip not a name", pattern: "10.0.0.1", host: "example.com"},
		{name: "cidr4 mapped host", pattern: "10.0.0.0/8", host: "::ffff:10.1.1.1", want: true},
		{name: "ipv6", pattern: "2001:db8::1", host: "2001:db8::1", want: true},
		{name: "ipv6 long form host", pattern: "2001:db8::1", host: "2001:0DB8:0:0:0:0:0:1", want: true},
		{name: "ipv6 port", pattern: "[2001:db8::1]:443", host: "[2001:db8::1]", port: 443, want: true},
		{name: "ipv6 port miss", pattern: "[2001:db8::1]:443", host: "2001:db8::1", port: 80},
		{name: "cidr6 in", pattern: "2001:db8::/32", host: "2001:db8:ffff::1", want: true},
		{name: "cidr6 out", pattern: "2001:db8::/32", host: "2001:db9::1"},
		{name: "cidr6 port", pattern: "[2001:db8::/32]:443", host: "2001:db8::5", port: 443, want: true},
		{name: "cidr6 zone host", pattern: "fe80::/10", host: "fe80::1%eth0", want: true},
		{name: "family mismatch", pattern: "0.0.0.0/0", host: "2001:db8::1"},
		{name: "glob matches ip text", pattern: "10.*", host: "10.1.2.3", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := MustParse(tc.pattern)
			if got := p.Match(tc.host, tc.port); got != tc.want {
				t.Errorf("%q.Match(%q, %d): got %v, want %v", tc.pattern, tc.host, tc.port, got, tc.want)
			}
		})
	}
}

func TestZeroPatternMatchesNothing(t *testing.T) {
	var p Pattern
	if p.Match("example.com", 443) {
		t.Error("zero Pattern matched")
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "Example.COM", want: "example.com"},
		{in: "example.com.", want: "example.com"},
		{in: "example.com..", want: "example.com."},
		{in: "[2001:DB8::1]", want: "2001:db8::1"},
		{in: "example.com", want: "example.com"},
		{in: "", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMatchNoAllocs(t *testing.T) {
	l := MustParseList(t, "*.github.com", "example.com:443", "10.0.0.0/8", "2001:db8::1")
	hosts := []string{"api.github.com", "example.com", "10.1.2.3", "2001:db8::1", "1password.com"}
	for _, h := range hosts {
		if n := testing.AllocsPerRun(100, func() { l.Match(h, 443) }); n != 0 {
			t.Errorf("List.Match(%q): got %v allocs, want 0", h, n)
		}
	}
}

// MustParseList parses patterns or fails the test.
func MustParseList(t testing.TB, patterns ...string) List {
	t.Helper()
	l, err := ParseList(patterns)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
