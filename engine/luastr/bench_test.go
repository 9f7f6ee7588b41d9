package luastr

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// loopFn compiles a chunk returning function(n) and returns that function,
// either through Compile and Open (capped) or through gopher-lua alone.
func loopFn(b *testing.B, src string, capped bool) (*lua.LState, lua.LValue) {
	b.Helper()
	var L *lua.LState
	var fn *lua.LFunction
	if capped {
		L = newState(b, DefaultMaxString)
		proto, err := Compile([]byte(src), "bench")
		if err != nil {
			b.Fatal(err)
		}
		fn = L.NewFunctionFromProto(proto)
	} else {
		L = lua.NewState()
		b.Cleanup(L.Close)
		var err error
		if fn, err = L.LoadString(src); err != nil {
			b.Fatal(err)
		}
	}
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}); err != nil {
		b.Fatal(err)
	}
	f := L.Get(-1)
	L.Pop(1)
	return L, f
}

// runLoop calls f(b.N) once, so the loop runs inside Lua.
func runLoop(b *testing.B, src string, capped bool) {
	L, f := loopFn(b, src, capped)
	b.ReportAllocs()
	b.ResetTimer()
	if err := L.CallByParam(lua.P{Fn: f, NRet: 0, Protect: true}, lua.LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
}

func benchBoth(b *testing.B, src string) {
	b.Run("capped", func(b *testing.B) { runLoop(b, src, true) })
	b.Run("native", func(b *testing.B) { runLoop(b, src, false) })
}

func BenchmarkConcat(b *testing.B) {
	b.Run("pair", func(b *testing.B) {
		benchBoth(b, `return function(n) local a, c = "abc", "defgh" local s for i = 1, n do s = a .. c end end`)
	})
	b.Run("chain", func(b *testing.B) {
		benchBoth(b, `return function(n) local a, c = "abc", "defgh" local s for i = 1, n do s = a .. "-" .. c .. "-" .. a end end`)
	})
	b.Run("number", func(b *testing.B) {
		benchBoth(b, `return function(n) local a = "key" local s for i = 1, n do s = a .. i end end`)
	})
}

func BenchmarkGsub(b *testing.B) {
	benchBoth(b, `return function(n) local s = "hello world from lua" for i = 1, n do s:gsub("(%w+)", "<%1>") end end`)
}

func BenchmarkFind(b *testing.B) {
	benchBoth(b, `return function(n) local s = "Bearer abc.def.ghi" for i = 1, n do s:match("^Bearer%s+(.+)$") end end`)
}
