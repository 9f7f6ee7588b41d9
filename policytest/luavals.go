package policytest

import (
	"net/http"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// onlyKeys refuses fields a table should not have, to catch typos.
func onlyKeys(L *lua.LState, what string, t *lua.LTable, keys ...string) {
	t.ForEach(func(k, _ lua.LValue) {
		if s, ok := k.(lua.LString); ok {
			for _, want := range keys {
				if string(s) == want {
					return
				}
			}
		}
		L.RaiseError("%s: unknown field %s (want %s)", what, k.String(), strings.Join(keys, ", "))
	})
}

// stringField reads an optional string field.
func stringField(L *lua.LState, what string, t *lua.LTable, key, def string) string {
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LString:
		return string(v)
	default:
		L.RaiseError("%s.%s must be a string, got %s", what, key, v.Type())
	}
	return def
}

// stringMap reads a table of string -> string.
func stringMap(L *lua.LState, what string, lv lua.LValue, set func(k, v string)) {
	if lv == lua.LNil {
		return
	}
	t, ok := lv.(*lua.LTable)
	if !ok {
		L.RaiseError("%s must be a table of strings, got %s", what, lv.Type())
	}
	t.ForEach(func(k, v lua.LValue) {
		ks, kok := k.(lua.LString)
		vs, vok := v.(lua.LString)
		if !kok || !vok {
			L.RaiseError("%s: %s = %s: want a string = string", what, k.String(), v.Type())
		}
		set(string(ks), string(vs))
	})
}

// headerField reads headers: name -> string or list of strings.
func headerField(L *lua.LState, lv lua.LValue) http.Header {
	h := http.Header{}
	if lv == lua.LNil {
		return h
	}
	t, ok := lv.(*lua.LTable)
	if !ok {
		L.RaiseError("run: request.headers must be a table, got %s", lv.Type())
	}
	t.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		if !ok {
			L.RaiseError("run: request.headers: %s is not a header name", k.String())
		}
		switch v := v.(type) {
		case lua.LString:
			h.Add(string(name), string(v))
		case *lua.LTable:
			for i := 1; i <= v.Len(); i++ {
				s, ok := v.RawGetInt(i).(lua.LString)
				if !ok {
					L.RaiseError("run: request.headers[%q][%d] must be a string", string(name), i)
				}
				h.Add(string(name), string(s))
			}
		default:
			L.RaiseError("run: request.headers[%q] must be a string or a list of strings, got %s", string(name), v.Type())
		}
	})
	return h
}
