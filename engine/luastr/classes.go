package luastr

// Single-character classes of Lua patterns: '.', %x escapes and [sets].
// The letter classes are those of C's <ctype.h> in the "C" locale: bytes
// above 0x7f belong to no class.

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isAlpha(c byte) bool { return isLower(c) || isUpper(c) }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }
func isCntrl(c byte) bool { return c < 0x20 || c == 0x7f }
func isSpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }
func isPunct(c byte) bool { return 0x20 < c && c < 0x7f && !isAlnum(c) }

func isXDigit(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// matchClass reports whether c belongs to the class %cl. An upper-case class
// letter is the complement of its lower-case one; any other cl is a literal.
func matchClass(c, cl byte) bool {
	lower := cl
	if isUpper(cl) {
		lower = cl + ('a' - 'A')
	}
	var in bool
	switch lower {
	case 'a':
		in = isAlpha(c)
	case 'c':
		in = isCntrl(c)
	case 'd':
		in = isDigit(c)
	case 'l':
		in = isLower(c)
	case 'p':
		in = isPunct(c)
	case 's':
		in = isSpace(c)
	case 'u':
		in = isUpper(c)
	case 'w':
		in = isAlnum(c)
	case 'x':
		in = isXDigit(c)
	case 'z':
		in = c == 0
	default:
		return cl == c
	}
	if isUpper(cl) {
		return !in
	}
	return in
}

// classEnd returns the offset just past the single class at pat[p].
func (m *matcher) classEnd(p int) int {
	c := m.pat[p]
	p++
	switch c {
	case '%':
		if p >= len(m.pat) {
			raise(m.L, "malformed pattern (ends with '%')")
		}
		return p + 1
	case '[':
		return m.setEnd(p)
	}
	return p
}

// setEnd finds the ']' closing a set whose body starts at pat[p]. The first
// character of the body is never the end, so "[]]" and "[^]]" are sets.
func (m *matcher) setEnd(p int) int {
	if p < len(m.pat) && m.pat[p] == '^' {
		p++
	}
	for {
		if p >= len(m.pat) {
			raise(m.L, "malformed pattern (missing ']')")
		}
		c := m.pat[p]
		p++
		if c == '%' && p < len(m.pat) {
			p++
		}
		if p < len(m.pat) && m.pat[p] == ']' {
			return p + 1
		}
	}
}

// singleMatch reports whether c matches the class pat[p:ep].
func (m *matcher) singleMatch(c byte, p, ep int) bool {
	switch m.pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, m.pat[p+1])
	case '[':
		return m.matchBracket(c, p, ep-1)
	}
	return m.pat[p] == c
}

// matchBracket matches c against the set pat[p] == '[' .. pat[ec] == ']'.
func (m *matcher) matchBracket(c byte, p, ec int) bool {
	want := true
	if m.pat[p+1] == '^' {
		want = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case m.pat[p] == '%':
			p++
			if matchClass(c, m.pat[p]) {
				return want
			}
		case m.pat[p+1] == '-' && p+2 < ec:
			if m.pat[p] <= c && c <= m.pat[p+2] {
				return want
			}
			p += 2
		case m.pat[p] == c:
			return want
		}
	}
	return !want
}
