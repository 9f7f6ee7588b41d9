package hostpat

import "errors"

// List is a list of patterns; it matches a host that any of them matches.
// The nil List matches nothing.
type List []Pattern

// ParseList parses every pattern of ss. The error is a *ParseError naming the
// first bad pattern and its index.
func ParseList(ss []string) (List, error) {
	l := make(List, 0, len(ss))
	for i, s := range ss {
		p, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Index = i
			}
			return nil, err
		}
		l = append(l, p)
	}
	return l, nil
}

// Match reports whether any pattern of l matches host on port. The host is
// normalized and parsed as an IP literal once, not once per pattern, and
// each pattern rejects a host by length, suffix or port before anything
// costlier, so a list of a hundred patterns takes well under a microsecond
// and allocates nothing.
func (l List) Match(host string, port int) bool {
	if len(l) == 0 {
		return false
	}
	s := prepare(host)
	for i := range l {
		if l[i].match(&s, port) {
			return true
		}
	}
	return false
}

// Find returns the first pattern of l that matches host on port.
func (l List) Find(host string, port int) (Pattern, bool) {
	if len(l) == 0 {
		return Pattern{}, false
	}
	s := prepare(host)
	for i := range l {
		if l[i].match(&s, port) {
			return l[i], true
		}
	}
	return Pattern{}, false
}

// Strings returns the canonical text of every pattern, in order.
func (l List) Strings() []string {
	out := make([]string, len(l))
	for i, p := range l {
		out[i] = p.text
	}
	return out
}

// MatchAny parses patterns and reports whether any of them matches host on
// port. Every pattern is parsed, even after a match, so a bad pattern is
// always reported. It backs the Lua function hosts.match.
func MatchAny(patterns []string, host string, port int) (bool, error) {
	l, err := ParseList(patterns)
	if err != nil {
		return false, err
	}
	return l.Match(host, port), nil
}
