package luastr

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// concatMT is a metatable whose __concat joins the v fields (or the plain
// values) with "+", so a test can see the order operands were combined in.
const concatMT = `
local mt = {}
local function v(x) if type(x) == "table" then return x.v end return x end
mt.__concat = function(a, b) return v(a) .. "+" .. v(b) end
local o = setmetatable({v = "O"}, mt)
`

func TestConcatSemantics(t *testing.T) {
	runCases(t, []evalCase{
		{name: "integers", code: `return 1 .. 2`, want: `"12"`},
		{name: "float", code: `return 1.5 .. "x"`, want: `"1.5x"`},
		{name: "negative and large", code: `return -3 .. "|" .. 2^40 .. "|" .. 0.1`, want: `"-3|1099511627776|0.1"`},
		{name: "chain", code: `local a, b, c = "a", "b", "c" return a .. b .. c`, want: `"abc"`},
		{name: "numbers inside chain", code: `local n = 10 return "x" .. n .. "y" .. n + 1`, want: `"x10y11"`},
		{name: "parenthesised left", code: `local a = "a" return (a .. "b") .. "c"`, want: `"abc"`},
		{name: "parenthesised right", code: `local a = "a" return a .. ("b" .. a)`, want: `"aba"`},
		{name: "constants only", code: `return "a" .. "b" .. "c"`, want: `"abc"`},
		{name: "function args keep arity", code: `local function f(...) return select("#", ...), ... end local a = "a" return f(a .. "b", "c")`, want: `2, "ab", "c"`},
		{name: "last arg is one value", code: `local function f(...) return select("#", ...) end local a = "a" return f(a .. "b")`, want: `1`},
		{name: "return is one value", code: `local function f(a) return a .. "!" end return f("x")`, want: `"x!"`},
		{name: "table constructor", code: `local a = "a" local t = {a .. "b", k = a .. "c", [a .. "d"] = 1} return t[1], t.k, t.ad`, want: `"ab", "ac", 1`},
		{name: "index and assignment", code: `local t, k = {}, "k" t[k .. 1] = k .. 2 return t.k1`, want: `"k2"`},
		{name: "loop accumulation", code: `local s = "" for i = 1, 5 do s = s .. i end return s`, want: `"12345"`},
		{name: "upvalue in closure", code: `local function f(a) return function(b) return a .. b end end return f("x")("y")`, want: `"xy"`},
		{name: "method definition", code: `local o = {p = "<"} function o:w(s) return self.p .. s end return o:w("x")`, want: `"<x"`},
		{name: "conditions and operators", code: `local a = "a" if a .. "b" == "ab" and #(a .. "bc") == 3 then return not (a .. "") end`, want: `false`},
		{name: "while and repeat", code: `local s = "" while #(s .. "") < 3 do s = s .. "x" end repeat s = s .. "y" until #(s .. "") > 4 return s`, want: `"xxxyy"`},
		{name: "for limits", code: `local n = 0 for i = tonumber(1 .. ""), tonumber(3 .. "") do n = n + 1 end return n`, want: `3`},
		{name: "generic for", code: `local r = "" for _, v in ipairs({"a" .. 1, "b" .. 2}) do r = r .. v end return r`, want: `"a1b2"`},
		{name: "metamethod on left", code: concatMT + `return o .. "s"`, want: `"O+s"`},
		{name: "metamethod on right", code: concatMT + `return "s" .. o`, want: `"s+O"`},
		{name: "metamethod right associative", code: concatMT + `return "a" .. "b" .. o`, want: `"ab+O"`},
		{name: "metamethod in middle", code: concatMT + `return "a" .. o .. "b"`, want: `"aO+b"`},
		{name: "metamethod both sides", code: concatMT + `return o .. o`, want: `"O+O"`},
		{name: "metamethod returning object", code: `
local mt = {}
local function v(x) if type(x) == "table" then return x.v end return x end
mt.__concat = function(a, b) return setmetatable({v = v(a) .. v(b)}, mt) end
local o = setmetatable({v = "o"}, mt)
return ("x" .. o .. "y").v`, want: `"xoy"`},
		{name: "nil operand", code: `local x return "a" .. x`, want: `test:1: attempt to concatenate a nil value`, err: true},
		{name: "nil left operand", code: `local x return x .. "a"`, want: `attempt to concatenate a nil value`, err: true},
		{name: "table operand", code: `return "a" .. {}`, want: `attempt to concatenate a table value`, err: true},
		{name: "boolean operand", code: `local b = true return "a" .. b .. "c"`, want: `attempt to concatenate a boolean value`, err: true},
		{name: "error line", code: "local x\nlocal y = 1\nreturn 'a' ..\n x", want: `test:3: attempt to concatenate a nil value`, err: true},
		{name: "pcall catches", code: `local ok, err = pcall(function() return "a" .. nil end) return ok, err`, want: `false, "test:1: attempt to concatenate a nil value"`},
		{name: "setfenv cannot break it", code: `setfenv(1, {}) local a = "a" return a .. "b"`, want: `"ab"`},
		{name: "loadstring", code: `local f = loadstring("local a = ... return a .. 1 .. 2") return f("x")`, want: `"x12"`},
		{name: "loadstring syntax error", code: `return loadstring("x = = 1")`, want: `nil, "<string>:1: syntax error near '='"`},
		{name: "load pieces", code: `local parts, i = {"return 'a'", " .. 'b'"}, 0 return load(function() i = i + 1 return parts[i] end, "pieces")()`, want: `"ab"`},
		{name: "load bad reader", code: `return load(function() return {} end)`, want: `nil, "reader function must return a string"`},
		{name: "reassigning the global cannot break it", code: `__sandgate_concat = nil local a = "a" return a .. "b"`, want: `"ab"`},
	})
}

// TestConcatLongChain checks a chain longer than one call takes.
func TestConcatLongChain(t *testing.T) {
	L := newState(t, testMax)
	src := "local a = 'x' return " + strings.Repeat("a .. ", 150) + "a .. 1"
	got, err := run(L, src)
	want := `"` + strings.Repeat("x", 151) + `1"`
	if err != nil || got != want {
		t.Fatalf("got %q (err %v), want %q", got, err, want)
	}
}

// TestConcatMatchesNative runs the same chunks through gopher-lua's own
// CONCAT and through the rewrite; the results must agree.
func TestConcatMatchesNative(t *testing.T) {
	chunks := []string{
		`local a, b = "x", 3 return a .. b .. a, b .. b, 1.25 .. a, -0.5 .. ""`,
		`local t = {} for i = 1, 10 do t[#t + 1] = i .. ":" .. i * 1.5 end return table.concat(t, ",")`,
		`return 1e15 .. "", 2^53 .. "", 1/3 .. "", 100 .. ""`,
		concatMT + `return o .. 1 .. 2, 1 .. o .. 2, (1 .. 2) .. o`,
	}
	for i, src := range chunks {
		L := newState(t, testMax)
		got, err := run(L, src)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		want := runNative(t, src)
		if got != want {
			t.Errorf("chunk %d: got %q, want %q", i, got, want)
		}
	}
}

func runNative(t *testing.T, src string) string {
	t.Helper()
	L := lua.NewState()
	defer L.Close()
	fn, err := L.LoadString(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := call(L, fn)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTableConcat(t *testing.T) {
	runCases(t, []evalCase{
		{name: "plain", code: `return table.concat({"a", "b", "c"})`, want: `"abc"`},
		{name: "separator", code: `return table.concat({"a", "b", "c"}, ", ")`, want: `"a, b, c"`},
		{name: "numbers", code: `return table.concat({1, 2.5, "x"}, "-")`, want: `"1-2.5-x"`},
		{name: "range", code: `return table.concat({"a", "b", "c", "d"}, "", 2, 3)`, want: `"bc"`},
		{name: "empty range", code: `return table.concat({"a"}, ",", 3, 2)`, want: `""`},
		{name: "empty table", code: `return table.concat({})`, want: `""`},
		{name: "single", code: `return table.concat({"a"}, ",", 1, 1)`, want: `"a"`},
		{name: "numeric separator", code: `return table.concat({"a", "b"}, 0)`, want: `"a0b"`},
		{name: "past the end", code: `return table.concat({"a", "b"}, ",", 1, 3)`, want: `invalid value (at index 3) in table for 'concat'`, err: true},
		{name: "bad element", code: `return table.concat({"a", {}, "c"})`, want: `invalid value (at index 2) in table for 'concat'`, err: true},
		{name: "not a table", code: `return table.concat("abc")`, want: `table expected`, err: true},
	})
}

func TestRep(t *testing.T) {
	runCases(t, []evalCase{
		{name: "basic", code: `return string.rep("ab", 3)`, want: `"ababab"`},
		{name: "separator", code: `return string.rep("ab", 3, ",")`, want: `"ab,ab,ab"`},
		{name: "zero", code: `return string.rep("ab", 0)`, want: `""`},
		{name: "negative", code: `return string.rep("ab", -1)`, want: `""`},
		{name: "one with separator", code: `return string.rep("ab", 1, ",")`, want: `"ab"`},
		{name: "fraction truncates", code: `return string.rep("a", 2.9)`, want: `"aa"`},
		{name: "numeric string count", code: `return string.rep("a", "3")`, want: `"aaa"`},
		{name: "empty string huge count", code: `return string.rep("", 1e15)`, want: `""`},
		{name: "method", code: `return ("x"):rep(2)`, want: `"xx"`},
		{name: "bad count", code: `return string.rep("a", {})`, want: `number expected`, err: true},
	})
}
