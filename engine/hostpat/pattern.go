package hostpat

import (
	"net/netip"
	"strconv"
)

// kind says how a Pattern matches. The zero kind matches nothing, so the zero
// Pattern is inert.
type kind uint8

const (
	kindNone kind = iota
	kindName      // an exact host name: "example.com"
	kindGlob      // a name with glob syntax: "*.example.com", "{a,b}.example.com"
	kindIP        // a single IP address: "10.1.2.3", "2001:db8::1"
	kindCIDR      // an IP prefix: "10.0.0.0/8"
)

// Pattern is one parsed host pattern. It is immutable; the zero Pattern
// matches nothing. Build one with Parse or MustParse.
type Pattern struct {
	text   string       // canonical text, see String
	kind   kind         //
	port   uint16       // 0: any port
	name   string       // kindName, kindGlob: lowercase host part
	addr   netip.Addr   // kindIP (IPv4-mapped addresses are unmapped)
	prefix netip.Prefix // kindCIDR (masked)

	glob *globMatcher // kindGlob; shared by copies, never changed
	spec int          // see specificity
}

// MustParse is like Parse but panics on an error. It is for tests and for
// patterns written in the source.
func MustParse(s string) Pattern {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the canonical text of p: lowercase, "**" collapsed, no
// trailing dot, IP addresses and prefixes in their shortest form, and an
// IPv6 address or prefix with a port in brackets ("[2001:db8::/32]:443").
// Two patterns that match the same way have the same text.
func (p Pattern) String() string { return p.text }

// Port returns the port p is limited to, or 0 if p matches any port.
func (p Pattern) Port() int { return int(p.port) }

// IsGlob reports whether p is a glob (uses '*', '?', [...] or {...}).
func (p Pattern) IsGlob() bool { return p.kind == kindGlob }

// IsIP reports whether p is an IP address or a CIDR.
func (p Pattern) IsIP() bool { return p.kind == kindIP || p.kind == kindCIDR }

// specificity is the weight of a glob: its literal characters ('*', '?'
// and sets weigh nothing, a {...} group weighs as its lightest alternative)
// plus those of its ":port", so that with-port beats without at otherwise
// equal weight. Other kinds weigh their text.
func (p Pattern) specificity() int { return p.spec }

// weigh computes specificity once, when p is parsed.
func (p Pattern) weigh() int {
	if p.kind != kindGlob {
		return len(p.text)
	}
	w := p.glob.weight
	if p.port != 0 {
		w += 1 + len(strconv.Itoa(int(p.port)))
	}
	return w
}

// canonical renders the text that String returns.
func (p Pattern) canonical() string {
	var s string
	v6 := false
	switch p.kind {
	case kindName, kindGlob:
		s = p.name
	case kindIP:
		s, v6 = p.addr.String(), p.addr.Is6()
	case kindCIDR:
		s, v6 = p.prefix.String(), p.prefix.Addr().Is6()
	}
	if p.port == 0 {
		return s
	}
	if v6 {
		s = "[" + s + "]"
	}
	return s + ":" + strconv.Itoa(int(p.port))
}
