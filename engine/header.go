package engine

import (
	"net/http"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// validHeaderName reports whether name is an HTTP token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 || !tokenChar[c] {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// validHeaderValue refuses the bytes that would split or end a header line.
func validHeaderValue(v string) bool {
	return !strings.ContainsAny(v, "\r\n\x00")
}

func checkHeader(L *lua.LState, name, value string) {
	if !validHeaderName(name) {
		L.RaiseError("invalid header name %q", name)
	}
	if !validHeaderValue(value) {
		L.RaiseError("invalid value for header %s (CR, LF or NUL)", name)
	}
}

// headersTable is req:headers() and res:headers(): lowercase name -> list.
func headersTable(L *lua.LState, h http.Header) *lua.LTable {
	t := L.CreateTable(0, len(h))
	for name, vals := range h {
		list := L.CreateTable(len(vals), 0)
		for _, val := range vals {
			list.Append(lua.LString(val))
		}
		t.RawSetString(strings.ToLower(name), list)
	}
	return t
}

// headerFromTable reads the headers= field of fetch{} and response{}: a
// table of name -> string or list of strings.
func headerFromTable(L *lua.LState, lv lua.LValue) http.Header {
	h := make(http.Header)
	if lv == lua.LNil {
		return h
	}
	t, ok := lv.(*lua.LTable)
	if !ok {
		L.RaiseError("headers must be a table, got %s", lv.Type())
	}
	if target := frozenTarget(t); target != nil {
		t = target
	}
	t.ForEach(func(k, val lua.LValue) {
		name, ok := k.(lua.LString)
		if !ok {
			L.RaiseError("header names must be strings, got %s", k.Type())
		}
		switch val := val.(type) {
		case lua.LString, lua.LNumber:
			checkHeader(L, string(name), val.String())
			h.Add(string(name), val.String())
		case *lua.LTable:
			if target := frozenTarget(val); target != nil {
				val = target
			}
			for i := 1; i <= val.Len(); i++ {
				s := val.RawGetInt(i)
				if !lua.LVCanConvToString(s) {
					L.RaiseError("header %s: values must be strings, got %s", name, s.Type())
				}
				checkHeader(L, string(name), s.String())
				h.Add(string(name), s.String())
			}
		default:
			L.RaiseError("header %s: value must be a string or a list of strings, got %s", name, val.Type())
		}
	})
	return h
}

// headerHolder is a request or response as its header methods see it.
type headerHolder interface {
	header() http.Header
	ownHeader() http.Header // the header map, copied first if still shared
	hostLocked() bool       // Host may not be set (requests)
}

// headerMethods implements header, headers, set_header, add_header and
// del_header for objects that check returns from the first argument.
type headerMethods struct {
	check func(L *lua.LState) headerHolder
}

func (m headerMethods) header(L *lua.LState) int {
	vals := m.check(L).header().Values(L.CheckString(2))
	if len(vals) == 0 {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(vals[0]))
	}
	return 1
}

func (m headerMethods) headers(L *lua.LState) int {
	L.Push(headersTable(L, m.check(L).header()))
	return 1
}

func (m headerMethods) set(L *lua.LState) int {
	o := m.check(L)
	name, value := m.args(L, o)
	o.ownHeader().Set(name, value)
	return 0
}

func (m headerMethods) add(L *lua.LState) int {
	o := m.check(L)
	name, value := m.args(L, o)
	o.ownHeader().Add(name, value)
	return 0
}

func (m headerMethods) del(L *lua.LState) int {
	o := m.check(L)
	o.ownHeader().Del(L.CheckString(2))
	return 0
}

func (m headerMethods) args(L *lua.LState, o headerHolder) (string, string) {
	name, value := L.CheckString(2), L.CheckString(3)
	checkHeader(L, name, value)
	if o.hostLocked() && strings.EqualFold(name, "Host") {
		// The upstream is always the sandbox's target.
		L.RaiseError("the Host header is read-only (it follows req.host)")
	}
	return name, value
}

func (m headerMethods) install(L *lua.LState, t *lua.LTable) {
	t.RawSetString("header", L.NewFunction(m.header))
	t.RawSetString("headers", L.NewFunction(m.headers))
	t.RawSetString("set_header", L.NewFunction(m.set))
	t.RawSetString("add_header", L.NewFunction(m.add))
	t.RawSetString("del_header", L.NewFunction(m.del))
}
