package hostpat

import (
	"net/netip"
	"strconv"
	"strings"
)

// looksIP reports whether s is meant as an IP address: it has a colon, or it
// is a digit followed by only digits and dots. A name like "1password.com" is not.
func looksIP(s string) bool {
	if strings.IndexByte(s, ':') >= 0 {
		return true
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// parseIP parses a single IP address. IPv4-mapped IPv6 addresses become
// IPv4, since hosts are unmapped the same way before matching.
func parseIP(s string, bracketed bool) (Pattern, string) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		if bracketed && !looksIP(s) {
			return Pattern{}, "brackets are only for IPv6 addresses"
		}
		return Pattern{}, "bad IP address " + strconv.Quote(s) + ipv6PortHint(s, bracketed)
	}
	if bracketed && addr.Is4() {
		return Pattern{}, "brackets are only for IPv6 addresses"
	}
	return Pattern{kind: kindIP, addr: addr.Unmap()}, ""
}

// parseCIDR parses the address and prefix length of a CIDR.
func parseCIDR(a, bits string, bracketed bool) (Pattern, string) {
	cidr := strconv.Quote(a + "/" + bits)
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return Pattern{}, "bad CIDR " + cidr + ": bad address" + ipv6PortHint(a, bracketed)
	}
	if bracketed && addr.Is4() {
		return Pattern{}, "brackets are only for IPv6 addresses"
	}
	n, ok := atoi(bits)
	if !ok || n > addr.BitLen() {
		return Pattern{}, "bad CIDR " + cidr + ": prefix length " + strconv.Quote(bits) +
			" (want 0-" + strconv.Itoa(addr.BitLen()) + ")" + ipv6PortHint(a+"/"+bits, bracketed)
	}
	pfx := netip.PrefixFrom(addr, n)
	if pfx.Masked() != pfx {
		return Pattern{}, "bad CIDR " + cidr + ": bits set past the prefix length (want " +
			pfx.Masked().String() + ")"
	}
	if addr.Is4In6() && n >= 96 {
		pfx = netip.PrefixFrom(addr.Unmap(), n-96)
	}
	return Pattern{kind: kindCIDR, prefix: pfx}, ""
}

// ipv6PortHint explains the bracket rule when s may be IPv6 with a port.
func ipv6PortHint(s string, bracketed bool) string {
	colons := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			colons++
		}
	}
	if bracketed || colons < 2 {
		return ""
	}
	return " (an IPv6 address with a port is written [addr]:port)"
}
