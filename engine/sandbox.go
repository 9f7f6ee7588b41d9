package engine

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine/luastr"
)

// frozenKey holds, in the hidden metatable of a read-only proxy, the table the
// proxy reads through to.
const frozenKey = "__sandgate_target"

// removedGlobals can read files, load code around the string limits, change
// other functions' environments or are gopher-lua internals.
var removedGlobals = []string{
	"dofile", "loadfile", "require", "module", "newproxy",
	"getfenv", "setfenv", "_printregs", "_GOPHER_LUA_VERSION",
}

// sandboxBase trims the base library to what a handler may use.
func (v *vm) sandboxBase() {
	L, g := v.L, v.globals
	for _, name := range removedGlobals {
		g.RawSetString(name, lua.LNil)
	}
	next := g.RawGetString("next").(*lua.LFunction)
	g.RawSetString("next", L.NewFunction(seeThrough(next.GFunction)))
	g.RawSetString("pairs", L.NewClosure(luaPairs, next))
	g.RawSetString("ipairs", L.NewClosure(luaIpairs, L.NewFunction(ipairsIter)))
	for _, name := range []string{"unpack", "rawget"} {
		fn := g.RawGetString(name).(*lua.LFunction)
		g.RawSetString(name, L.NewFunction(seeThrough(fn.GFunction)))
	}
	rawset := g.RawGetString("rawset").(*lua.LFunction)
	g.RawSetString("rawset", L.NewFunction(refuseFrozen(rawset.GFunction)))
	setmt := g.RawGetString("setmetatable").(*lua.LFunction)
	g.RawSetString("setmetatable", L.NewFunction(tablesOnly(setmt.GFunction)))
	g.RawSetString("collectgarbage", L.NewFunction(func(L *lua.LState) int { return 0 }))
	g.RawSetString("load", L.NewFunction(v.luaLoad))
	g.RawSetString("loadstring", L.NewFunction(v.luaLoadString))
	g.RawSetString("print", L.NewFunction(v.luaPrint))
}

// freezeLibs replaces every library table in the base environment by a
// read-only proxy, so no script can change string.rep or json.encode for the
// scripts that run after it in this state. Strings get their own hidden
// metatable for the same reason.
func (v *vm) freezeLibs() {
	L, g := v.L, v.globals
	tbl := g.RawGetString("table").(*lua.LTable)
	for _, name := range []string{"insert", "remove", "sort"} {
		if fn, ok := tbl.RawGetString(name).(*lua.LFunction); ok {
			tbl.RawSetString(name, L.NewFunction(refuseFrozen(fn.GFunction)))
		}
	}
	for _, name := range []string{"concat", "getn", "maxn"} {
		if fn, ok := tbl.RawGetString(name).(*lua.LFunction); ok {
			tbl.RawSetString(name, L.NewFunction(seeThrough(fn.GFunction)))
		}
	}
	str := g.RawGetString("string").(*lua.LTable)
	str.RawSetString("dump", lua.LNil)
	L.SetMetatable(lua.LString(""), v.protectedMT(str))
	for _, name := range []string{"string", "table", "math", "secrets", "log", "json", "hosts", "ratelimit"} {
		g.RawSetString(name, v.freeze(g.RawGetString(name).(*lua.LTable)))
	}
}

// freeze returns a read-only proxy of t: reads, # and pairs/ipairs/next see
// t; writes raise an error.
func (v *vm) freeze(t *lua.LTable) *lua.LTable {
	mt := v.L.CreateTable(0, 5)
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", v.readOnly)
	mt.RawSetString("__len", v.frozenLn)
	mt.RawSetString("__metatable", lua.LFalse)
	mt.RawSetString(frozenKey, t)
	proxy := v.L.NewTable()
	proxy.Metatable = mt
	return proxy
}

// frozenTarget returns the table a read-only proxy reads through to, or nil
// when t is not a proxy.
func frozenTarget(t *lua.LTable) *lua.LTable {
	mt, ok := t.Metatable.(*lua.LTable)
	if !ok {
		return nil
	}
	target, _ := mt.RawGetString(frozenKey).(*lua.LTable)
	return target
}

func luaReadOnly(L *lua.LState) int {
	L.RaiseError("attempt to modify a read-only table (field %s)", L.Get(2).String())
	return 0
}

func luaFrozenLen(L *lua.LState) int {
	t := L.CheckTable(1)
	if target := frozenTarget(t); target != nil {
		t = target
	}
	L.Push(lua.LNumber(t.Len()))
	return 1
}

// seeThrough wraps a library function so that a read-only proxy as its first
// argument is replaced by the table behind it.
func seeThrough(fn lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok {
			if target := frozenTarget(t); target != nil {
				L.Replace(1, target)
			}
		}
		return fn(L)
	}
}

// refuseFrozen wraps a function that writes raw into its first argument so
// that it refuses read-only proxies.
func refuseFrozen(fn lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && frozenTarget(t) != nil {
			L.RaiseError("attempt to modify a read-only table")
		}
		return fn(L)
	}
}

// tablesOnly restricts setmetatable to tables, as in Lua 5.1: gopher-lua
// would otherwise set the shared metatable of all numbers or functions.
func tablesOnly(fn lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		L.CheckTable(1)
		return fn(L)
	}
}

func luaPairs(L *lua.LState) int {
	t := L.CheckTable(1)
	if target := frozenTarget(t); target != nil {
		t = target
	}
	L.Push(L.Get(lua.UpvalueIndex(1)))
	L.Push(t)
	L.Push(lua.LNil)
	return 3
}

func luaIpairs(L *lua.LState) int {
	t := L.CheckTable(1)
	if target := frozenTarget(t); target != nil {
		t = target
	}
	L.Push(L.Get(lua.UpvalueIndex(1)))
	L.Push(t)
	L.Push(lua.LNumber(0))
	return 3
}

func ipairsIter(L *lua.LState) int {
	t := L.CheckTable(1)
	i := L.CheckInt(2) + 1
	v := t.RawGetInt(i)
	if v == lua.LNil {
		return 0
	}
	L.Push(lua.LNumber(i))
	L.Push(v)
	return 2
}

// luaLoadString compiles a text chunk through the same capped compiler as
// scripts; bytecode is refused (gopher-lua cannot load it anyway).
func (v *vm) luaLoadString(L *lua.LState) int {
	return v.loadChunk(L, L.CheckString(1), L.OptString(2, "(loadstring)"))
}

func (v *vm) luaLoad(L *lua.LState) int {
	if s, ok := L.Get(1).(lua.LString); ok {
		return v.loadChunk(L, string(s), L.OptString(2, "(load)"))
	}
	reader := L.CheckFunction(1)
	var sb strings.Builder
	for {
		L.Push(reader)
		L.Call(0, 1)
		piece := L.Get(-1)
		L.Pop(1)
		s, ok := piece.(lua.LString)
		if piece == lua.LNil || (ok && len(s) == 0) {
			break
		}
		if !ok {
			L.Push(lua.LNil)
			L.Push(lua.LString("reader function must return a string"))
			return 2
		}
		if sb.Len()+len(s) > v.cfg.maxString {
			L.RaiseError("load: chunk longer than %d bytes", v.cfg.maxString)
		}
		sb.WriteString(string(s))
	}
	return v.loadChunk(L, sb.String(), L.OptString(2, "(load)"))
}

func (v *vm) loadChunk(L *lua.LState, src, name string) int {
	if strings.HasPrefix(src, "\x1bLua") {
		L.Push(lua.LNil)
		L.Push(lua.LString("load: binary chunks are not allowed"))
		return 2
	}
	proto, err := luastr.Compile([]byte(src), name)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	fn := L.NewFunctionFromProto(proto)
	fn.Env = v.callerEnv(L)
	L.Push(fn)
	return 1
}

// callerEnv is the environment of the Lua function calling into Go, so that
// loaded code shares the globals of the script that loaded it.
func (v *vm) callerEnv(L *lua.LState) *lua.LTable {
	if dbg, ok := L.GetStack(1); ok {
		if fn, err := L.GetInfo("f", dbg, lua.LNil); err == nil {
			if lf, ok := fn.(*lua.LFunction); ok && !lf.IsG && lf.Env != nil {
				return lf.Env
			}
		}
	}
	env := L.CreateTable(0, 1)
	env.RawSetString("_G", env)
	env.Metatable = v.envMT
	return env
}
