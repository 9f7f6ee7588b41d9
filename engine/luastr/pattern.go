package luastr

import (
	"context"

	lua "github.com/yuin/gopher-lua"
)

const (
	// maxCaptures is Lua's LUA_MAXCAPTURES.
	maxCaptures = 32
	// maxDepth is Lua's MAXCCALLS for the matcher: the deepest recursion a
	// pattern may need before it is "too complex".
	maxDepth = 200
	// checkEvery is how many matcher steps pass between looks at the context.
	checkEvery = 1000

	capUnfinished = -1
	capPosition   = -2
)

// capture is one ( ) of a match: start offset and length, or capUnfinished
// while open, or capPosition for a position capture ().
type capture struct {
	init, len int
}

// matcher is Lua 5.1's MatchState: a backtracking matcher over byte offsets
// (-1 means no match). It counts its steps and, every checkEvery of them,
// raises a Lua error if the LState's context is done, so a pathological
// pattern stops at the call's time limit.
type matcher struct {
	L     *lua.LState
	ctx   context.Context
	src   string
	pat   string
	level int
	depth int
	steps int
	caps  [maxCaptures]capture
}

func newMatcher(L *lua.LState, src, pat string) *matcher {
	return &matcher{L: L, ctx: L.Context(), src: src, pat: pat}
}

// tick counts n steps of work and looks at the context when enough passed.
func (m *matcher) tick(n int) {
	m.steps += n
	if m.steps < checkEvery {
		return
	}
	m.steps = 0
	if m.ctx != nil && m.ctx.Err() != nil {
		m.L.RaiseError("pattern matching exceeded the time limit (%v)", m.ctx.Err())
	}
}

// match returns the end of a match of pat[p:] at src[s:], or -1.
func (m *matcher) match(s, p int) int {
	if m.depth >= maxDepth {
		raise(m.L, "pattern too complex")
	}
	m.depth++
	r := m.doMatch(s, p)
	m.depth--
	return r
}

// doMatch walks the pattern; items that need no backtracking loop here,
// the others recurse through match.
func (m *matcher) doMatch(s, p int) int {
	for {
		m.tick(1)
		if p == len(m.pat) {
			return s
		}
		switch m.pat[p] {
		case '(':
			if p+1 < len(m.pat) && m.pat[p+1] == ')' {
				return m.startCapture(s, p+2, capPosition)
			}
			return m.startCapture(s, p+1, capUnfinished)
		case ')':
			return m.endCapture(s, p+1)
		case '$':
			if p+1 == len(m.pat) {
				return m.atEnd(s)
			}
		case '%':
			if ns, np, ok := m.escape(s, p); ok {
				if ns == -1 {
					return -1
				}
				s, p = ns, np
				continue
			}
		}
		ns, np, done := m.item(s, p)
		if done {
			return ns
		}
		s, p = ns, np
	}
}

func (m *matcher) atEnd(s int) int {
	if s == len(m.src) {
		return s
	}
	return -1
}

// escape handles %b, %f and back-references at pat[p] == '%'. ok is false
// for any other escape, which is a single-character class.
func (m *matcher) escape(s, p int) (ns, np int, ok bool) {
	if p+1 >= len(m.pat) {
		return 0, 0, false
	}
	switch c := m.pat[p+1]; {
	case c == 'b':
		return m.matchBalance(s, p+2), p + 4, true
	case c == 'f':
		np, matched := m.frontier(s, p+2)
		if !matched {
			return -1, 0, true
		}
		return s, np, true
	case isDigit(c):
		return m.matchBackref(s, c), p + 2, true
	}
	return 0, 0, false
}

// item matches one single-character class with its optional quantifier.
// done reports that ns is the final result of the whole match.
func (m *matcher) item(s, p int) (ns, np int, done bool) {
	ep := m.classEnd(p)
	matched := s < len(m.src) && m.singleMatch(m.src[s], p, ep)
	if ep < len(m.pat) {
		switch m.pat[ep] {
		case '?':
			if matched {
				if r := m.match(s+1, ep+1); r != -1 {
					return r, 0, true
				}
			}
			return s, ep + 1, false
		case '*':
			return m.maxExpand(s, p, ep), 0, true
		case '+':
			if !matched {
				return -1, 0, true
			}
			return m.maxExpand(s+1, p, ep), 0, true
		case '-':
			return m.minExpand(s, p, ep), 0, true
		}
	}
	if !matched {
		return -1, 0, true
	}
	return s + 1, ep, false
}

// maxExpand is a greedy * or +: take as many as possible, then give back.
func (m *matcher) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(m.src) && m.singleMatch(m.src[s+i], p, ep) {
		i++
	}
	m.tick(i)
	for ; i >= 0; i-- {
		if r := m.match(s+i, ep+1); r != -1 {
			return r
		}
	}
	return -1
}

// minExpand is the lazy -: take one more only when the rest fails.
func (m *matcher) minExpand(s, p, ep int) int {
	for {
		if r := m.match(s, ep+1); r != -1 {
			return r
		}
		if s >= len(m.src) || !m.singleMatch(m.src[s], p, ep) {
			return -1
		}
		s++
	}
}

func (m *matcher) startCapture(s, p, what int) int {
	if m.level >= maxCaptures {
		raise(m.L, "too many captures")
	}
	m.caps[m.level] = capture{init: s, len: what}
	m.level++
	r := m.match(s, p)
	if r == -1 {
		m.level--
	}
	return r
}

func (m *matcher) endCapture(s, p int) int {
	l := m.captureToClose()
	m.caps[l].len = s - m.caps[l].init
	r := m.match(s, p)
	if r == -1 {
		m.caps[l].len = capUnfinished
	}
	return r
}

func (m *matcher) captureToClose() int {
	for l := m.level - 1; l >= 0; l-- {
		if m.caps[l].len == capUnfinished {
			return l
		}
	}
	raise(m.L, "invalid pattern capture")
	return 0
}

// matchBalance is %bxy at pat[p:p+2].
func (m *matcher) matchBalance(s, p int) int {
	if p+1 >= len(m.pat) {
		raise(m.L, "malformed pattern (missing arguments to '%b')")
	}
	if s >= len(m.src) || m.src[s] != m.pat[p] {
		return -1
	}
	open, close := m.pat[p], m.pat[p+1]
	depth := 1
	for i := s + 1; i < len(m.src); i++ {
		switch m.src[i] {
		case close:
			if depth--; depth == 0 {
				m.tick(i - s)
				return i + 1
			}
		case open:
			depth++
		}
	}
	m.tick(len(m.src) - s)
	return -1
}

// frontier is %f[set] with the set at pat[p]: it matches the empty string
// between a character not in the set and one in it (the ends count as \0).
func (m *matcher) frontier(s, p int) (int, bool) {
	if p >= len(m.pat) || m.pat[p] != '[' {
		raise(m.L, "missing '[' after '%f' in pattern")
	}
	ep := m.classEnd(p)
	var prev, cur byte
	if s > 0 {
		prev = m.src[s-1]
	}
	if s < len(m.src) {
		cur = m.src[s]
	}
	if !m.matchBracket(prev, p, ep-1) && m.matchBracket(cur, p, ep-1) {
		return ep, true
	}
	return 0, false
}

// matchBackref is %1-%9: the text of an earlier, closed capture again.
func (m *matcher) matchBackref(s int, c byte) int {
	l := int(c) - '1'
	if l < 0 || l >= m.level || m.caps[l].len == capUnfinished {
		raise(m.L, "invalid capture index")
	}
	cp := m.caps[l]
	if cp.len < 0 {
		return -1 // a position capture never matches text
	}
	m.tick(cp.len >> 6)
	if len(m.src)-s >= cp.len && m.src[s:s+cp.len] == m.src[cp.init:cp.init+cp.len] {
		return s + cp.len
	}
	return -1
}
