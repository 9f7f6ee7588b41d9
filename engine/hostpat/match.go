package hostpat

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Normalize returns host as patterns expect it: lowercase, without one
// trailing dot and without the brackets around an IPv6 literal. It does not
// remove a port.
func Normalize(host string) string {
	host = strings.ToLower(host)
	host = strings.TrimSuffix(host, ".")
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host
}

// needsNormalize reports whether Normalize would change host, so that the
// common, already normalized host costs no allocation.
func needsNormalize(host string) bool {
	if host == "" {
		return false
	}
	if host[0] == '[' || host[len(host)-1] == '.' {
		return true
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// subject is a host prepared once for matching against many patterns.
type subject struct {
	name string     // normalized host text
	addr netip.Addr // the host as an IP literal (unmapped, no zone), if it is one
	// glob is name for globs to match: name itself, or for a name with
	// non-ASCII characters (which no DNS name has, but a Host header may)
	// name with each such character replaced by one '~'. No pattern has a
	// '~', so only '?', '*' and [!...] match it, one character for one, as
	// they would the original; gobwas/glob counts bytes for runes in some
	// matchers, which the replacement keeps from mattering.
	glob string
}

// prepare normalizes host (only if needed) and parses it as an IP literal.
func prepare(host string) subject {
	if needsNormalize(host) {
		host = Normalize(host)
	}
	s := subject{name: host, glob: asciiOnly(host)}
	if looksIP(host) {
		if a, err := netip.ParseAddr(host); err == nil {
			s.addr = a.Unmap().WithZone("")
		}
	}
	return s
}

// asciiOnly replaces each non-ASCII character of s by '~'.
func asciiOnly(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Map(func(r rune) rune {
				if r >= utf8.RuneSelf {
					return '~'
				}
				return r
			}, s)
		}
	}
	return s
}

// Match reports whether p matches host on the effective port. A portless
// pattern matches any port; port 0 matches only portless patterns. host should
// be normalized (see Normalize); one that is not is normalized first, at the
// cost of an allocation. Globs match the text of a host, IP literals included;
// IP and CIDR patterns match only IP literals.
func (p Pattern) Match(host string, port int) bool {
	s := prepare(host)
	return p.match(&s, port)
}

// match is Match on a prepared host.
func (p *Pattern) match(s *subject, port int) bool {
	if p.port != 0 && int(p.port) != port {
		return false
	}
	switch p.kind {
	case kindName:
		return s.name == p.name
	case kindGlob:
		return p.glob.match(s.glob)
	case kindIP:
		return s.addr.IsValid() && s.addr == p.addr
	case kindCIDR:
		return s.addr.IsValid() && p.prefix.Contains(s.addr)
	}
	return false
}
