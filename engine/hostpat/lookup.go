package hostpat

import (
	"cmp"
	"strings"
)

// Lookup returns the most specific pattern of t that matches host on port,
// and its value. The order, which never depends on the order of Set calls:
//
//  1. an exact host with the port ("example.com:443", "10.1.2.3:443");
//  2. an exact host without a port ("example.com", "10.1.2.3");
//  3. the CIDR with the longest prefix; at equal prefix, one with a port
//     before one without;
//  4. the glob with the most literal characters, the ":port" counted, so
//     "*.example.com:443" beats "*.example.com" ('*', '?' and [...] sets
//     weigh nothing; a {...} group weighs as its lightest alternative); a
//     tie goes to the pattern whose text sorts first in byte order.
//
// A single IP address ranks as an exact host, so "10.1.2.3" beats
// "10.1.2.3/32". Exact hosts are map lookups; CIDRs are kept in rank order,
// so the first match is the answer; globs are filed by their literal tail
// or head (see globIndex), so a lookup tries only those that could match.
// host is handled as in Pattern.Match.
func (t *Table[V]) Lookup(host string, port int) (Pattern, V, bool) {
	if e := t.lookup(host, port); e != nil {
		return e.Pattern, e.Value, true
	}
	var zero V
	return Pattern{}, zero, false
}

// lookup finds the entry Lookup returns, or nil.
func (t *Table[V]) lookup(host string, port int) *Entry[V] {
	if len(t.all) == 0 {
		return nil
	}
	s := prepare(host)
	p := uint16(0)
	if port > 0 && port <= 65535 {
		p = uint16(port)
	}
	if s.addr.IsValid() {
		if e := t.addrs[addrKey{s.addr, p}]; e != nil && p != 0 {
			return e
		}
		if e := t.addrs[addrKey{s.addr, 0}]; e != nil {
			return e
		}
		if e := first(t.cidrs, &s, port); e != nil {
			return e
		}
	} else {
		if e := t.names[nameKey{s.name, p}]; e != nil && p != 0 {
			return e
		}
		if e := t.names[nameKey{s.name, 0}]; e != nil {
			return e
		}
	}
	return t.globs.lookup(&s, port)
}

// first returns the first entry of es that matches s on port, or nil.
func first[V any](es []*Entry[V], s *subject, port int) *Entry[V] {
	for _, e := range es {
		if e.Pattern.match(s, port) {
			return e
		}
	}
	return nil
}

// compareCIDR orders CIDRs for lookup: longest prefix first, then with a
// port before without, then by text.
func compareCIDR[V any](a, b *Entry[V]) int {
	pa, pb := &a.Pattern, &b.Pattern
	if c := cmp.Compare(pb.prefix.Bits(), pa.prefix.Bits()); c != 0 {
		return c
	}
	if c := cmp.Compare(hasPort(pb), hasPort(pa)); c != 0 {
		return c
	}
	return strings.Compare(pa.text, pb.text)
}

// compareGlob orders globs for lookup: most specific first, then by text.
func compareGlob[V any](a, b *Entry[V]) int {
	if c := cmp.Compare(b.Pattern.specificity(), a.Pattern.specificity()); c != 0 {
		return c
	}
	return strings.Compare(a.Pattern.text, b.Pattern.text)
}

// hasPort is 1 for a pattern limited to a port, else 0.
func hasPort(p *Pattern) int {
	if p.port != 0 {
		return 1
	}
	return 0
}
