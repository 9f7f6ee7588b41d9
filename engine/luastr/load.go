package luastr

import (
	lua "github.com/yuin/gopher-lua"
)

// loadString is loadstring(s [, chunkname]) compiled through Compile: code a
// script builds at run time would otherwise get gopher-lua's uncapped `..`.
func loadString(L *lua.LState) int {
	return loadChunk(L, L.CheckString(1), optString(L, 2, "<string>"))
}

// load is load(reader [, chunkname]): the pieces the reader returns are
// joined under the cap, then compiled like loadString.
func (lim *limits) load(L *lua.LState) int {
	reader := L.CheckFunction(1)
	name := optString(L, 2, "?")
	src := &capped{lim: lim, L: L}
	for {
		L.Push(reader)
		L.Call(0, 1)
		v := L.Get(-1)
		L.Pop(1)
		if v == lua.LNil {
			break
		}
		s, ok := stringOf(v)
		if !ok {
			return loadFailed(L, "reader function must return a string")
		}
		if s == "" {
			break
		}
		src.add(s)
	}
	return loadChunk(L, src.b.String(), name)
}

// loadChunk returns the compiled chunk, in the caller's environment as
// gopher-lua's own loaders do, or nil and the error message.
func loadChunk(L *lua.LState, src, name string) int {
	proto, err := Compile([]byte(src), name)
	if err != nil {
		return loadFailed(L, err.Error())
	}
	fn := L.NewFunctionFromProto(proto)
	if env, ok := L.Get(lua.EnvironIndex).(*lua.LTable); ok {
		fn.Env = env
	}
	L.Push(fn)
	return 1
}

func loadFailed(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}
