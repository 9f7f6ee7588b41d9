package luastr

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

const overflow = "string length overflow"

func TestStringCap(t *testing.T) {
	runCases(t, []evalCase{
		{name: "rep", code: `return string.rep("a", 5e8)`, want: overflow, err: true},
		{name: "rep huge count", code: `return string.rep("ab", 1e300)`, want: overflow, err: true},
		{name: "rep separator", code: `return string.rep("", 2^20 + 2, "x")`, want: overflow, err: true},
		{name: "rep method", code: `return ("a"):rep(5e8)`, want: overflow, err: true},
		{name: "rep at the limit", code: `return #string.rep("a", 2^20)`, want: `1048576`},
		{name: "concat doubling", code: `local s = "a" for i = 1, 40 do s = s .. s end return #s`, want: overflow, err: true},
		{name: "concat chain", code: `local s = string.rep("a", 2^19) return s .. s .. "x"`, want: overflow, err: true},
		{name: "concat with numbers", code: `local s = string.rep("a", 2^20) return s .. 1`, want: overflow, err: true},
		{name: "concat at the limit", code: `local s = string.rep("a", 2^19) return #(s .. s)`, want: `1048576`},
		{name: "table.concat", code: `local t = {} for i = 1, 2000 do t[i] = string.rep("x", 1000) end return table.concat(t)`, want: overflow, err: true},
		{name: "table.concat separator", code: `return table.concat({"a", "b"}, string.rep(",", 2^20))`, want: overflow, err: true},
		{name: "gsub growth", code: `return string.rep("a", 1e5):gsub("a", string.rep("b", 100))`, want: overflow, err: true},
		{name: "gsub function growth", code: `local big = string.rep("b", 2^19) return ("aaa"):gsub("a", function() return big end)`, want: overflow, err: true},
		{name: "format", code: `local s = string.rep("a", 2^19) return string.format("%s%s%s", s, s, s)`, want: overflow, err: true},
		{name: "format q", code: `return string.format("%q", string.rep("\0", 300000))`, want: overflow, err: true},
		{name: "loadstring", code: `return loadstring("local s = 'a' for i = 1, 40 do s = s .. s end return #s")()`, want: overflow, err: true},
		{name: "load", code: `local done return load(function() if done then return nil end done = true return "local s = 'a' for i = 1, 40 do s = s .. s end" end)()`, want: overflow, err: true},
		{name: "error has position", code: "\nreturn string.rep('a', 5e8)", want: "test:2: " + overflow, err: true},
	})
}

// TestRepDoesNotAllocate checks that a refused string.rep never allocates
// its result: far less than the 500 MB asked for is allocated in all.
func TestRepDoesNotAllocate(t *testing.T) {
	L := newState(t, testMax)
	proto, err := Compile([]byte(`return string.rep("a", 5e8)`), "rep")
	if err != nil {
		t.Fatal(err)
	}
	fn := L.NewFunctionFromProto(proto)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = call(L, fn)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), overflow) {
		t.Fatalf("got error %v, want %q", err, overflow)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Fatalf("got %d bytes allocated, want under 16 MiB", got)
	}
}

// TestPatternTimeLimit runs pathological patterns under a 200ms context.
// Each must fail with the time-limit error well before the generous bound;
// without the context checks each runs for minutes.
func TestPatternTimeLimit(t *testing.T) {
	tests := []struct {
		name string
		code string
	}{
		{name: "find lazy", code: `return string.rep("a", 200000):find(".-.-.-.-b")`},
		{name: "match greedy", code: `return string.rep("a", 200000):match("a*a*a*b")`},
		{name: "gsub", code: `return string.rep("a", 200000):gsub(".-.-.-b", "")`},
		{name: "gmatch", code: `for w in string.rep("a", 200000):gmatch(".-.-.-b") do end`},
		{name: "balance", code: `return string.rep("(", 200000):find("%b()")`},
		{name: "back reference", code: `return string.rep("a", 200000):find("(.-)%1b")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			L := newState(t, testMax)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			L.SetContext(ctx)
			start := time.Now()
			_, err := run(L, tc.code)
			elapsed := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), "pattern matching exceeded the time limit") {
				t.Fatalf("got error %v, want the time-limit error", err)
			}
			if elapsed > 5*time.Second {
				t.Fatalf("got %v to stop, want well under 5s", elapsed)
			}
		})
	}
}

// TestPatternTimeLimitSurvivesPcall checks that catching the time-limit
// error does not let a script go on: the VM's own check stops it next.
func TestPatternTimeLimitSurvivesPcall(t *testing.T) {
	L := newState(t, testMax)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	L.SetContext(ctx)
	got, err := run(L, `local ok = pcall(string.find, string.rep("a", 200000), ".-.-.-.-b") return "survived", ok`)
	if err == nil {
		t.Fatalf("got %q, want an error", got)
	}
}

// TestErrorsCarryNoStack checks that an error message is one line naming
// the chunk, with no Go file or goroutine in it.
func TestErrorsCarryNoStack(t *testing.T) {
	L := newState(t, testMax)
	_, err := run(L, `return string.rep("a", 5e8)`)
	if err == nil {
		t.Fatal("got no error")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || strings.Contains(msg, ".go:") || strings.Contains(msg, "goroutine") {
		t.Fatalf("got %q, want a one-line Lua message", msg)
	}
}

// TestOpenPatchesMethodTable checks that methods resolve to the capped
// functions when the string metatable's __index is not the string library.
func TestOpenPatchesMethodTable(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	methods := L.NewTable()
	L.GetGlobal("string").(*lua.LTable).ForEach(func(k, v lua.LValue) { methods.RawSet(k, v) })
	mt := L.GetMetatable(lua.LString("")).(*lua.LTable)
	mt.RawSetString("__index", methods)
	Open(L, testMax)
	for _, code := range []string{`return ("a"):rep(5e8)`, `return string.rep("a", 5e8)`} {
		if _, err := run(L, code); err == nil || !strings.Contains(err.Error(), overflow) {
			t.Errorf("%s: got error %v, want %q", code, err, overflow)
		}
	}
}

// TestOpenDefaultLimit checks that a non-positive limit means 16 MiB.
func TestOpenDefaultLimit(t *testing.T) {
	L := newState(t, 0)
	got, err := run(L, `return #string.rep("a", 2^24), (pcall(string.rep, "a", 2^24 + 1))`)
	if want := `16777216, false`; err != nil || got != want {
		t.Fatalf("got %q (err %v), want %q", got, err, want)
	}
}
