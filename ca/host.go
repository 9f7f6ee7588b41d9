package ca

import (
	"fmt"
	"net/netip"
	"strings"
)

// leafHost normalizes host for a leaf: a lowercase DNS name without a
// trailing dot, or an IP literal (unmapped, no zone) and its text.
func leafHost(host string) (string, netip.Addr, error) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if len(h) >= 2 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1]
	}
	if maybeIP(h) {
		if ip, err := netip.ParseAddr(h); err == nil {
			ip = ip.WithZone("").Unmap()
			return ip.String(), ip, nil
		}
	}
	if !validName(h) {
		return "", netip.Addr{}, fmt.Errorf("%w %q", ErrInvalidHost, host)
	}
	return h, netip.Addr{}, nil
}

// maybeIP is a cheap guard that spares a DNS name the allocation of a
// failed netip.ParseAddr: IP literals start with a digit or hold a colon.
func maybeIP(h string) bool {
	return h != "" && (h[0] >= '0' && h[0] <= '9' || strings.IndexByte(h, ':') >= 0)
}

// validName reports whether s is a DNS name a certificate can carry: 1-253
// characters of labels 1-63 long, made of letters, digits, '-' and '_'.
// Wildcards are refused: a leaf names exactly the host dialed.
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}
