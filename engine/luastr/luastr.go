// Package luastr bounds what a policy script can do with strings. gopher-lua
// checks a call's context once per VM instruction, but its Go builtins run
// unchecked and unbounded: one string.rep can allocate gigabytes and one
// string.gsub can backtrack for minutes. luastr replaces those builtins with
// versions that refuse to build a string longer than a limit before they
// allocate it, and a Lua 5.1 pattern matcher that watches the call's context.
//
// Compile rewrites every `a .. b` of a script into a call of the capped
// concatenation that Open installs, so Open must run on every LState that runs
// a chunk from Compile, before the chunk runs.
package luastr

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// DefaultMaxString is the default of limits.max_string_bytes (16 MiB).
const DefaultMaxString = 16 << 20

// ConcatGlobal is the global through which compiled chunks reach the capped
// concatenation. A chunk reads it once, when it starts, into a local that
// scripts cannot name, so the global must be visible in the chunk's
// environment at that moment.
const ConcatGlobal = "__sandgate_concat"

// limits carries the cap into the Go functions that Open installs.
type limits struct {
	max int
}

// check raises a Lua error when a string of n bytes would exceed the cap.
func (lim *limits) check(L *lua.LState, n int) {
	if n > lim.max {
		L.RaiseError("string length overflow: result would be %d bytes (limit %d)", n, lim.max)
	}
}

// checkFloat is check for sizes computed in floating point, where a product
// of two Lua numbers may not fit an int.
func (lim *limits) checkFloat(L *lua.LState, n float64) {
	if n > float64(lim.max) {
		L.RaiseError("string length overflow: result would be %.0f bytes (limit %d)", n, lim.max)
	}
}

// maxIndex bounds the integers taken from Lua numbers so that index
// arithmetic on them cannot overflow.
const maxIndex = 1 << 53

// toInt converts a Lua number the way Lua 5.1 does on 64-bit hosts
// (truncation), clamping values no string could use; NaN becomes 0.
func toInt(n lua.LNumber) int {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return 0
	case f > maxIndex:
		return maxIndex
	case f < -maxIndex:
		return -maxIndex
	}
	return int(f)
}

// optInt is luaL_optinteger: nil gives def, numeric strings are accepted.
func optInt(L *lua.LState, n int, def int) int {
	if L.Get(n) == lua.LNil {
		return def
	}
	return toInt(L.CheckNumber(n))
}

// optString is luaL_optstring: nil gives def, numbers are accepted.
func optString(L *lua.LState, n int, def string) string {
	if L.Get(n) == lua.LNil {
		return def
	}
	return L.CheckString(n)
}

// stringOf returns the string value of a string or number, the only values
// Lua concatenates without a metamethod.
func stringOf(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return v.String(), true
	}
	return "", false
}

// isStringy reports whether v concatenates without a metamethod.
func isStringy(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// raise raises msg as a Lua error at the calling line, taken literally
// (RaiseError only formats when it has arguments).
func raise(L *lua.LState, msg string) {
	L.RaiseError("%s", msg)
}
