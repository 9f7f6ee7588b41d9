package luastr

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// specials are the characters that make find use the matcher.
const specials = "^$*+?.([%-"

// strFind is string.find(s, pattern [, init [, plain]]).
func strFind(L *lua.LState) int { return findAux(L, true) }

// strMatch is string.match(s, pattern [, init]).
func strMatch(L *lua.LState) int { return findAux(L, false) }

// findAux is Lua 5.1's str_find_aux: init counts from the end when negative
// and is clamped to the string; a leading '^' anchors the match at init.
func findAux(L *lua.LState, find bool) int {
	s := L.CheckString(1)
	pat := L.CheckString(2)
	init := startIndex(optInt(L, 3, 1), len(s))
	if find && (L.ToBool(4) || !strings.ContainsAny(pat, specials)) {
		return plainFind(L, s, pat, init)
	}
	m := newMatcher(L, s, pat)
	p, anchor := 0, len(pat) > 0 && pat[0] == '^'
	if anchor {
		p = 1
	}
	for s1 := init; ; s1++ {
		m.level = 0
		if e := m.match(s1, p); e != -1 {
			if !find {
				return m.pushCaptures(s1, e, true)
			}
			L.Push(lua.LNumber(s1 + 1))
			L.Push(lua.LNumber(e))
			return 2 + m.pushCaptures(s1, e, false)
		}
		if anchor || s1 >= len(s) {
			break
		}
	}
	L.Push(lua.LNil)
	return 1
}

// startIndex turns a 1-based, possibly negative Lua position into an offset
// in [0, n].
func startIndex(init, n int) int {
	if init < 0 {
		init += n + 1
	}
	init--
	return min(max(init, 0), n)
}

func plainFind(L *lua.LState, s, pat string, init int) int {
	i := strings.Index(s[init:], pat)
	if i < 0 {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LNumber(init + i + 1))
	L.Push(lua.LNumber(init + i + len(pat)))
	return 2
}

// strGmatch is string.gmatch(s, pattern). As in Lua 5.1 a leading '^' is a
// literal, and an empty match moves the next search one byte on. Matches are
// found one per call of the iterator, never ahead of time.
func strGmatch(L *lua.LState) int {
	s := L.CheckString(1)
	pat := L.CheckString(2)
	m := &matcher{src: s, pat: pat}
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		m.L, m.ctx, m.depth = L, L.Context(), 0
		for ; pos <= len(s); pos++ {
			m.level = 0
			if e := m.match(pos, 0); e != -1 {
				start := pos
				pos = e
				if e == start {
					pos++
				}
				return m.pushCaptures(start, e, true)
			}
		}
		return 0
	}))
	return 1
}

// pushCaptures pushes the captures of the last match, or the whole match
// src[s:e] when there are none and whole is set. It returns how many.
func (m *matcher) pushCaptures(s, e int, whole bool) int {
	n := m.level
	if n == 0 && whole {
		n = 1
	}
	for i := 0; i < n; i++ {
		m.L.Push(m.capture(i, s, e))
	}
	return n
}

// capture returns capture i: its text, its position (1-based) for (), or
// for i == 0 without captures the whole match.
func (m *matcher) capture(i, s, e int) lua.LValue {
	if i >= m.level {
		if i != 0 {
			raise(m.L, "invalid capture index")
		}
		return lua.LString(m.src[s:e])
	}
	c := m.caps[i]
	switch c.len {
	case capUnfinished:
		raise(m.L, "unfinished capture")
	case capPosition:
		return lua.LNumber(c.init + 1)
	}
	return lua.LString(m.src[c.init : c.init+c.len])
}
