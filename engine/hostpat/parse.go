package hostpat

import (
	"strconv"
	"strings"
)

// Parse parses a host pattern:
//
//	example.com          that host, any port
//	example.com:443      that host, port 443 only
//	*.example.com        any subdomain at any depth ('*' crosses dots)
//	google.*, *          '*' anywhere, any number of times
//	api-?.example.com    '?' is one character
//	[abc].example.com    one character of a set; [a-z] a range; [!a-z] not in it
//	{api,uploads}.x.com  either alternative (alternatives may hold globs)
//	\*                   '\' makes the next character literal
//	10.1.2.3, ::1        a single IP address
//	10.0.0.0/8:8080      a CIDR, here limited to port 8080
//	[2001:db8::1]:443    an IPv6 address with a port (brackets required)
//	[2001:db8::/32]:443  an IPv6 CIDR with a port (brackets required)
//
// Globs are compiled with github.com/gobwas/glob with no separator, so '*'
// and '?' cross dots. Case does not matter and one trailing dot is dropped. An IPv6 address or
// CIDR without brackets never has a port: "2001:db8::1:443" is one address.
// A CIDR must have no bits set past its prefix length. Host names are ASCII
// (write IDNs in punycode) of letters, digits, '-', '_' and '.', plus the
// glob syntax above. A leading "[...]" is an IPv6 address when it holds a
// ':', else a set.
// The error is a *ParseError.
func Parse(s string) (Pattern, error) {
	if s == "" {
		return Pattern{}, errorf(s, "empty pattern")
	}
	if reason := checkChars(s); reason != "" {
		return Pattern{}, errorf(s, "%s", reason)
	}
	host, bracketed, port, reason := splitPort(s)
	if reason != "" {
		return Pattern{}, errorf(s, "%s", reason)
	}
	p, reason := parseHost(host, bracketed)
	if reason != "" {
		return Pattern{}, errorf(s, "%s", reason)
	}
	p.port = port
	p.text = p.canonical()
	p.spec = p.weigh()
	return p, nil
}

// checkChars rejects characters no pattern may hold, and URLs.
func checkChars(s string) string {
	for _, r := range s {
		if !isNameChar(r) && !strings.ContainsRune(`:[]/?{},\!`, r) {
			return "invalid character " + strconv.QuoteRune(r)
		}
	}
	if strings.Contains(s, "://") {
		return "a URL, not a host pattern"
	}
	return ""
}

// isNameChar reports whether r may appear in a host name or glob.
func isNameChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return r == '-' || r == '_' || r == '.' || r == '*'
}

// splitPort splits s into its host part and port. A bracketed host is an
// IPv6 address or CIDR; an unbracketed host with two or more colons is an
// IPv6 address or CIDR without a port.
func splitPort(s string) (host string, bracketed bool, port uint16, reason string) {
	if isBracketedIP(s) {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", false, 0, "missing ']'"
		}
		host, rest := s[1:end], s[end+1:]
		if rest == "" {
			return host, true, 0, ""
		}
		if rest[0] != ':' {
			return "", false, 0, "unexpected " + strconv.Quote(rest) + " after ']'"
		}
		port, reason = parsePort(rest[1:])
		return host, true, port, reason
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.IndexByte(s, ':') != i {
		return s, false, 0, ""
	}
	port, reason = parsePort(s[i+1:])
	return s[:i], false, port, reason
}

// isBracketedIP reports whether s starts with an address in brackets (or
// an unclosed bracket, to say so) rather than with a glob set: a set never
// holds a ':', and one that reads as an address ("[10.0.0.1]", "[0]") is
// taken for one (write "[\\0]" for the set).
func isBracketedIP(s string) bool {
	if s[0] != '[' {
		return false
	}
	end := strings.IndexByte(s, ']')
	return end < 0 || strings.IndexByte(s[:end], ':') >= 0 || looksIP(s[1:end])
}

// parsePort parses a decimal port in 1-65535.
func parsePort(s string) (uint16, string) {
	n, ok := atoi(s)
	if !ok || n < 1 || n > 65535 {
		return 0, "bad port " + strconv.Quote(s) + " (want 1-65535)"
	}
	return uint16(n), ""
}

// atoi parses a short unsigned decimal: digits only, no sign, at most 5.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// parseHost parses the host part of a pattern: an IP address, a CIDR, or a
// host name or glob.
func parseHost(h string, bracketed bool) (Pattern, string) {
	h = unescapeLiteral(h)
	if h == "" {
		return Pattern{}, "empty host"
	}
	if i := strings.IndexByte(h, '/'); i >= 0 && looksIP(h[:i]) {
		return parseCIDR(h[:i], h[i+1:], bracketed)
	}
	if looksIP(h) || bracketed {
		return parseIP(h, bracketed)
	}
	return parseName(h)
}

// unescapeLiteral returns h without its '\\' escapes when they are its only
// glob syntax and escape no special character ("example\\.com" is the name
// "example.com"), so that such a pattern is the name it spells; any other h
// is returned as it is.
func unescapeLiteral(h string) string {
	if !strings.Contains(h, `\`) {
		return h
	}
	var b strings.Builder
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c == '\\' && i+1 < len(h) {
			i++
			c = h[i]
		} else if hasGlobMeta(string(c)) {
			return h
		}
		if hasGlobMeta(string(c)) {
			return h
		}
		b.WriteByte(c)
	}
	return b.String()
}
