package engine

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine/luastr"
)

// Lua state limits. A call stack of 256 frames bounds recursion (and with it
// the Go stack, since every Go-to-Lua call takes a frame); the registry (the
// value stack) may grow to 128K values, so string.byte(s, 1, -1) or unpack
// of a huge table raises "registry overflow" instead of eating memory. It
// grows by a fixed step, copying itself each time: a small step would make
// filling it quadratic (seconds of Go time the time limit cannot stop).
const (
	callStackSize    = 256
	registrySize     = 4 << 10
	registryGrowStep = 4 << 10
	registryMaxSize  = 128 << 10
)

// vm is one pooled, sandboxed Lua state with the handler API installed. Its
// metatables and API functions are made once; cur is the call in progress.
type vm struct {
	cfg     *config
	L       *lua.LState
	globals *lua.LTable // the shared base environment; unreachable from scripts
	envMT   *lua.LTable // metatable of each chunk's own environment
	reqMT   *lua.LTable
	resMT   *lua.LTable
	ctxMT   *lua.LTable
	denyMT  *lua.LTable
	// reqMethods and resMethods hold the methods of req and responses.
	reqMethods *lua.LTable
	resMethods *lua.LTable
	null       *lua.LUserData // json.null

	readOnly *lua.LFunction // __newindex of frozen tables
	frozenLn *lua.LFunction // __len of frozen tables

	// fns caches the handler function each prototype's chunk returned in
	// this state, so a call does not re-run the chunk.
	fns map[*lua.FunctionProto]*lua.LFunction

	// params caches the frozen Lua form of each binding's params, keyed by
	// the params map's address. The entry holds the map itself, so the
	// address cannot be reused by another map while it is cached.
	params map[uintptr]paramsEntry

	held heldSecrets // secret values handed to scripts over the state's life

	cur *callState // nil between calls
}

type paramsEntry struct {
	src any
	val lua.LValue
}

func newVM(cfg *config) *vm {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:     true,
		CallStackSize:    callStackSize,
		RegistrySize:     registrySize,
		RegistryMaxSize:  registryMaxSize,
		RegistryGrowStep: registryGrowStep,
	})
	v := &vm{cfg: cfg, L: L, fns: make(map[*lua.FunctionProto]*lua.LFunction)}
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	luastr.Open(L, cfg.maxString)
	v.globals = L.G.Global
	v.envMT = v.protectedMT(v.globals)
	v.readOnly = L.NewFunction(luaReadOnly)
	v.frozenLn = L.NewFunction(luaFrozenLen)
	v.sandboxBase()
	v.installAPI()
	v.freezeLibs()
	return v
}

// protectedMT returns a metatable that reads through to index and that
// getmetatable and setmetatable cannot reach.
func (v *vm) protectedMT(index *lua.LTable) *lua.LTable {
	mt := v.L.CreateTable(0, 2)
	mt.RawSetString("__index", index)
	mt.RawSetString("__metatable", lua.LFalse)
	return mt
}

// installAPI puts the handler API into the base environment.
func (v *vm) installAPI() {
	L := v.L
	v.reqMT = v.objectMT(v.reqIndex, v.reqNewIndex)
	v.resMT = v.objectMT(v.resIndex, v.resNewIndex)
	v.ctxMT = v.objectMT(v.ctxIndex, v.ctxNewIndex)
	v.denyMT = v.objectMT(denyIndex, denyNewIndex)
	v.reqMethods = L.CreateTable(0, 8)
	headerMethods{check: func(L *lua.LState) headerHolder { return v.checkReq(L, 1) }}.install(L, v.reqMethods)
	v.reqMethods.RawSetString("body", L.NewFunction(v.reqBody))
	v.reqMethods.RawSetString("set_body", L.NewFunction(v.reqSetBody))
	v.resMethods = L.CreateTable(0, 8)
	headerMethods{check: func(L *lua.LState) headerHolder { return v.checkRes(L, 1) }}.install(L, v.resMethods)
	v.resMethods.RawSetString("body", L.NewFunction(v.resBody))
	v.null = L.NewUserData()
	v.null.Metatable = v.objectMT(nullIndex, nullNewIndex)
	v.null.Metatable.(*lua.LTable).RawSetString("__tostring", L.NewFunction(nullString))

	g := v.globals
	g.RawSetString("fetch", L.NewFunction(v.luaFetch))
	g.RawSetString("response", L.NewFunction(v.luaResponse))
	g.RawSetString("deny", L.NewFunction(v.luaDeny))
	g.RawSetString("secrets", v.module(map[string]lua.LGFunction{"get": v.secretsGet, "protect": v.secretsProtect}))
	g.RawSetString("ratelimit", v.module(map[string]lua.LGFunction{"take": v.ratelimitTake}))
	g.RawSetString("log", v.module(map[string]lua.LGFunction{
		"info": v.logFunc(levelInfo), "warn": v.logFunc(levelWarn), "error": v.logFunc(levelError),
	}))
	jsonMod := v.module(map[string]lua.LGFunction{"encode": v.jsonEncode, "decode": v.jsonDecode})
	jsonMod.RawSetString("null", v.null)
	g.RawSetString("json", jsonMod)
	g.RawSetString("hosts", v.module(map[string]lua.LGFunction{"match": v.hostsMatch}))
}

func (v *vm) module(funcs map[string]lua.LGFunction) *lua.LTable {
	t := v.L.CreateTable(0, len(funcs))
	for name, fn := range funcs {
		t.RawSetString(name, v.L.NewFunction(fn))
	}
	return t
}

// objectMT is the metatable of an API object (req, response, ctx, deny):
// field reads and writes go through Go, and the metatable is hidden.
func (v *vm) objectMT(index, newIndex lua.LGFunction) *lua.LTable {
	mt := v.L.CreateTable(0, 4)
	mt.RawSetString("__index", v.L.NewFunction(index))
	mt.RawSetString("__newindex", v.L.NewFunction(newIndex))
	mt.RawSetString("__metatable", lua.LFalse)
	return mt
}

// handler returns the function the chunk of proto returns in this state,
// running the chunk on first use. The chunk gets its own environment (reads
// fall through to the base one), so a global one script sets is not seen by
// another and cannot replace the API.
func (v *vm) handler(proto *lua.FunctionProto) (*lua.LFunction, error) {
	if fn, ok := v.fns[proto]; ok {
		return fn, nil
	}
	fn, err := v.runChunk(proto)
	if err != nil {
		return nil, err
	}
	v.fns[proto] = fn
	return fn, nil
}

func (v *vm) runChunk(proto *lua.FunctionProto) (*lua.LFunction, error) {
	ret, err := v.evalChunk(proto)
	if err != nil {
		return nil, err
	}
	return chunkHandler(ret)
}

// evalChunk runs the chunk of proto in its own environment and returns
// what it returned.
func (v *vm) evalChunk(proto *lua.FunctionProto) (lua.LValue, error) {
	L := v.L
	env := L.CreateTable(0, 2)
	env.RawSetString("_G", env)
	env.Metatable = v.envMT
	chunk := L.NewFunctionFromProto(proto)
	chunk.Env = env
	L.Push(chunk)
	if err := L.PCall(0, 1, nil); err != nil {
		return nil, err
	}
	ret := L.Get(-1)
	L.Pop(1)
	return ret, nil
}

// trimCache drops cached handler functions once the state has seen many
// prototypes (scripts replaced by Put or Reload), so old ones can be freed.
func (v *vm) trimCache(live int) {
	if len(v.fns) > 2*live+16 {
		clear(v.fns)
	}
}

func (v *vm) close() { v.L.Close() }
