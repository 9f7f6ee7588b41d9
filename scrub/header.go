package scrub

import "net/http"

// Header replaces values in every value of h, in place, and removes every
// field whose name holds a value (a name cannot carry [redacted]). It
// returns the number of replacements and removals.
func (s *Scrubber) Header(h http.Header) int {
	if s.Empty() {
		return 0
	}
	n := 0
	for name, vals := range h {
		if _, k := s.String(name); k > 0 {
			delete(h, name)
			n++
			continue
		}
		for i, v := range vals {
			var k int
			vals[i], k = s.String(v)
			n += k
		}
	}
	return n
}
