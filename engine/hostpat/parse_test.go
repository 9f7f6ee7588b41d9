package hostpat

import (
	"errors"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "name", in: "example.com", want: "example.com"},
		{name: "upper case", in: "ExAmple.COM", want: "example.com"},
		{name: "trailing dot", in: "example.com.", want: "example.com"},
		{name: "trailing dot and port", in: "example.com.:443", want: "example.com:443"},
		{name: "port", in: "example.com:443", want: "example.com:443"},
		{name: "port leading zero", in: "example.com:0443", want: "example.com:443"},
		{name: "glob", in: "*.Example.com", want: "*.example.com"},
		{name: "stars collapse", in: "a**b***c", want: "a*b*c"},
		{name: "class chars once", in: `[.\.0]`, want: "[.0]"},
		{name: "bare star", in: "*", want: "*"},
		{name: "star with port", in: "*:8080", want: "*:8080"},
		{name: "underscore", in: "_acme.example.com", want: "_acme.example.com"},
		{name: "digit first name", in: "1password.com", want: "1password.com"},
		{name: "ipv4", in: "10.1.2.3", want: "10.1.2.3"},
		{name: "ipv4 port", in: "10.1.2.3:80", want: "10.1.2.3:80"},
		{name: "ipv6", in: "2001:DB8:0::1", want: "2001:db8::1"},
		{name: "ipv6 brackets", in: "[2001:db8::1]", want: "2001:db8::1"},
		{name: "ipv6 port", in: "[2001:db8::1]:443", want: "[2001:db8::1]:443"},
		{name: "ipv6 no port without brackets", in: "2001:db8::1:443", want: "2001:db8::1:443"},
		{name: "ipv4 mapped", in: "::ffff:10.0.0.1", want: "10.0.0.1"},
		{name: "ipv4 mapped port", in: "[::ffff:10.0.0.1]:80", want: "10.0.0.1:80"},
		{name: "cidr4", in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{name: "cidr4 port", in: "10.0.0.0/8:8080", want: "10.0.0.0/8:8080"},
		{name: "cidr6", in: "2001:db8::/32", want: "2001:db8::/32"},
		{name: "cidr6 port", in: "[2001:DB8::/32]:443", want: "[2001:db8::/32]:443"},
		{name: "cidr mapped", in: "::ffff:10.0.0.0/104", want: "10.0.0.0/8"},
		{name: "cidr zero", in: "0.0.0.0/0", want: "0.0.0.0/0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := p.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			again := MustParse(p.String())
			if got := again.String(); got != tc.want {
				t.Errorf("reparsed: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: `hostpat: "": empty pattern`},
		{name: "space", in: "exa mple.com", want: `hostpat: "exa mple.com": invalid character ' '`},
		{name: "tab", in: "example.com\t", want: `hostpat: "example.com\t": invalid character '\t'`},
		{name: "at", in: "user@example.com", want: `hostpat: "user@example.com": invalid character '@'`},
		{name: "non ascii", in: "bücher.de", want: `hostpat: "bücher.de": invalid character 'ü'`},
		{name: "slash", in: "example.com/path", want: `hostpat: "example.com/path": invalid character '/'`},
		{name: "url", in: "https://example.com", want: `hostpat: "https://example.com": a URL, not a host pattern`},
		{name: "port zero", in: "example.com:0", want: `hostpat: "example.com:0": bad port "0" (want 1-65535)`},
		{name: "port too big", in: "example.com:65536", want: `hostpat: "example.com:65536": bad port "65536" (want 1-65535)`},
		{name: "port name", in: "example.com:https", want: `hostpat: "example.com:https": bad port "https" (want 1-65535)`},
		{name: "port empty", in: "example.com:", want: `hostpat: "example.com:": bad port "" (want 1-65535)`},
		{name: "port sign", in: "example.com:+443", want: `hostpat: "example.com:+443": invalid character '+'`},
		{name: "port minus", in: "example.com:-1", want: `hostpat: "example.com:-1": bad port "-1" (want 1-65535)`},
		{name: "no host", in: ":443", want: `hostpat: ":443": empty host`},
		{name: "only dot", in: ".", want: `hostpat: ".": empty host`},
		{name: "leading dot", in: ".example.com", want: `hostpat: ".example.com": empty label (for subdomains write "*.example.com")`},
		{name: "double dot", in: "a..example.com", want: `hostpat: "a..example.com": empty label`},
		{name: "two trailing dots", in: "example.com..", want: `hostpat: "example.com..": empty label`},
		{name: "escaped leading dot", in: `\.[0]`, want: `hostpat: "\\.[0]": empty label (for subdomains write "*.[\0]")`},
		{name: "colons in name", in: "a:b:c", want: `hostpat: "a:b:c": bad IP address "a:b:c" (an IPv6 address with a port is written [addr]:port)`},
		{name: "bad ipv4", in: "10.0.0.256", want: `hostpat: "10.0.0.256": bad IP address "10.0.0.256"`},
		{name: "cidr bits too big", in: "10.0.0.0/33", want: `hostpat: "10.0.0.0/33": bad CIDR "10.0.0.0/33": prefix length "33" (want 0-32)`},
		{name: "cidr bits empty", in: "10.0.0.0/", want: `hostpat: "10.0.0.0/": bad CIDR "10.0.0.0/": prefix length "" (want 0-32)`},
		{name: "cidr host bits", in: "10.1.2.3/8", want: `hostpat: "10.1.2.3/8": bad CIDR "10.1.2.3/8": bits set past the prefix length (want 10.0.0.0/8)`},
		{name: "cidr bad address", in: "10.0.0.300/8", want: `hostpat: "10.0.0.300/8": bad CIDR "10.0.0.300/8": bad address`},
		{name: "cidr6 port no brackets", in: "2001:db8::/32:443", want: `hostpat: "2001:db8::/32:443": bad CIDR "2001:db8::/32:443": prefix length "32:443" (want 0-128) (an IPv6 address with a port is written [addr]:port)`},
		{name: "brackets ipv4", in: "[10.0.0.1]:80", want: `hostpat: "[10.0.0.1]:80": brackets are only for IPv6 addresses`},
		{name: "brackets hostname ip", in: "[10.0.0.1]", want: `hostpat: "[10.0.0.1]": brackets are only for IPv6 addresses`},
		{name: "missing bracket", in: "[::1:80", want: `hostpat: "[::1:80": missing ']'`},
		{name: "junk after bracket", in: "[::1]80", want: `hostpat: "[::1]80": unexpected "80" after ']'`},
		{name: "bad ipv6 port", in: "[::1]:99999", want: `hostpat: "[::1]:99999": bad port "99999" (want 1-65535)`},
		{name: "bracket in name", in: "a]b", want: `hostpat: "a]b": invalid character ']'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q): no error", tc.in)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Pattern != tc.in || pe.Index != -1 {
				t.Errorf("got %#v, want a *ParseError for %q at index -1", err, tc.in)
			}
		})
	}
}

func TestParseLongName(t *testing.T) {
	long := ""
	for len(long) < 260 {
		long += "abcdefghi."
	}
	long += "com"
	_, err := Parse(long)
	if err == nil {
		t.Fatal("no error for a 263-character name")
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse(\"\") did not panic")
		}
	}()
	MustParse("")
}

func TestPatternAccessors(t *testing.T) {
	tests := []struct {
		in           string
		port         int
		isGlob, isIP bool
	}{
		{in: "example.com", port: 0},
		{in: "example.com:443", port: 443},
		{in: "*.example.com:80", port: 80, isGlob: true},
		{in: "10.0.0.0/8:8080", port: 8080, isIP: true},
		{in: "[::1]:443", port: 443, isIP: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p := MustParse(tc.in)
			if p.Port() != tc.port || p.IsGlob() != tc.isGlob || p.IsIP() != tc.isIP {
				t.Errorf("got port %d glob %v ip %v, want %d %v %v",
					p.Port(), p.IsGlob(), p.IsIP(), tc.port, tc.isGlob, tc.isIP)
			}
		})
	}
}
