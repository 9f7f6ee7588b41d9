package luastr

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// gsub is string.gsub(s, pattern, repl [, n]) with Lua 5.1's loop: an empty
// match copies one byte and moves on, a leading '^' allows one match only,
// and the count includes matches whose replacement kept the original text.
// The result is checked against the cap as it grows.
func (lim *limits) gsub(L *lua.LState) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	repl := gsubRepl(L)
	maxN := optInt(L, 4, len(src)+1)
	m := newMatcher(L, src, pat)
	out := &capped{lim: lim, L: L}
	n, copied := m.replace(out, repl, maxN)
	if copied == 0 && out.b.Len() == 0 {
		L.Push(lua.LString(src)) // nothing replaced: no copy
	} else {
		out.add(src[copied:])
		L.Push(lua.LString(out.b.String()))
	}
	L.Push(lua.LNumber(n))
	return 2
}

// replace writes src up to the last match, with up to maxN matches
// replaced, into out. It returns the count and how much of src it used.
func (m *matcher) replace(out *capped, repl lua.LValue, maxN int) (n, copied int) {
	p, anchor := 0, len(m.pat) > 0 && m.pat[0] == '^'
	if anchor {
		p = 1
	}
	for s := 0; n < maxN; {
		m.level = 0
		e := m.match(s, p)
		if e != -1 {
			n++
			out.add(m.src[copied:s])
			m.addValue(out, s, e, repl)
			copied = e
		}
		switch {
		case e > s:
			s = e
		case s < len(m.src):
			s++
		default:
			return n, copied
		}
		if anchor {
			break
		}
	}
	return n, copied
}

// gsubRepl checks argument 3: a string (or number), a table or a function.
func gsubRepl(L *lua.LState) lua.LValue {
	switch v := L.Get(3).(type) {
	case lua.LNumber:
		return lua.LString(v.String())
	case lua.LString, *lua.LTable, *lua.LFunction:
		return v
	}
	L.ArgError(3, "string/function/table expected")
	return nil
}

// capped is a builder that refuses to grow past the cap.
type capped struct {
	lim *limits
	L   *lua.LState
	b   strings.Builder
}

func (c *capped) add(s string) {
	c.lim.check(c.L, c.b.Len()+len(s))
	c.b.WriteString(s)
}

// addValue appends the replacement for the match src[s:e].
func (m *matcher) addValue(out *capped, s, e int, repl lua.LValue) {
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString:
		m.addTemplate(out, s, e, string(r))
		return
	case *lua.LTable:
		v = m.L.GetTable(r, m.capture(0, s, e))
	case *lua.LFunction:
		m.L.Push(r)
		m.L.Call(m.pushCaptures(s, e, true), 1)
		v = m.L.Get(-1)
		m.L.Pop(1)
	}
	if !lua.LVAsBool(v) {
		out.add(m.src[s:e]) // false or nil keeps the original text
		return
	}
	str, ok := stringOf(v)
	if !ok {
		m.L.RaiseError("invalid replacement value (a %s)", v.Type().String())
	}
	out.add(str)
}

// addTemplate expands a replacement string: %0 is the whole match, %1-%9 a
// capture, and '%' before anything else stands for that character ("%%").
func (m *matcher) addTemplate(out *capped, s, e int, tmpl string) {
	for {
		i := strings.IndexByte(tmpl, '%')
		if i < 0 || i == len(tmpl)-1 {
			out.add(tmpl)
			return
		}
		out.add(tmpl[:i])
		switch c := tmpl[i+1]; {
		case c == '0':
			out.add(m.src[s:e])
		case isDigit(c):
			v, _ := stringOf(m.capture(int(c-'1'), s, e))
			out.add(v)
		default:
			out.add(tmpl[i+1 : i+2])
		}
		tmpl = tmpl[i+2:]
	}
}
