package luastr

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

const fuzzMax = 4 << 10 // the string cap under fuzzing

// refState is an LState with gopher-lua's own string library, to compare
// against.
func refState(t testing.TB) *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	t.Cleanup(L.Close)
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.StringLibName, lua.OpenString}, {lua.TabLibName, lua.OpenTable}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	return L
}

// longest is the length of the longest string callString last returned.
var longest int

// callString calls string.<fn>(args...) and renders its results, or
// returns the error; it sets longest. A Go panic inside the function is
// reported as such.
func callString(L *lua.LState, fn string, args ...lua.LValue) (string, error) {
	f := L.GetField(L.GetGlobal("string"), fn)
	top := L.GetTop()
	defer L.SetTop(top)
	L.Push(f)
	for _, a := range args {
		L.Push(a)
	}
	if err := L.PCall(len(args), lua.MultRet, nil); err != nil {
		return "", err
	}
	vals := make([]lua.LValue, 0, L.GetTop()-top)
	longest = 0
	for i := top + 1; i <= L.GetTop(); i++ {
		vals = append(vals, L.Get(i))
		if s, ok := L.Get(i).(lua.LString); ok {
			longest = max(longest, len(s))
		}
	}
	return render(vals), nil
}

// isPanic reports whether err is a Go panic that PCall caught.
func isPanic(err error) bool {
	var ae *lua.ApiError
	return errors.As(err, &ae) && ae.Type == lua.ApiErrorPanic
}

// backtracksLittle reports whether gopher-lua's own matcher, which has no
// time limit, can run pat in bounded time: at most two repetitions.
func backtracksLittle(pat string) bool {
	n := 0
	for i := 0; i < len(pat); i++ {
		switch pat[i] {
		case '%':
			i++
		case '*', '+', '-', '?':
			n++
		}
	}
	return n <= 2
}

// patternError reports whether err is one of Lua 5.1's errors for a
// malformed pattern or replacement.
func patternError(err error) bool {
	msg := luaMessage(err).Error()
	for _, m := range []string{"malformed pattern", "invalid pattern capture", "invalid capture index",
		"unfinished capture", "missing '['", "too many captures"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// plainEscapes reports whether every % in a gsub replacement is followed by
// a digit or %: for "%x", Lua 5.1 writes x and gopher-lua "%x".
func plainEscapes(repl string) bool {
	for i := 0; i < len(repl); i++ {
		if repl[i] == '%' {
			if i+1 < len(repl) && (repl[i+1] == '%' || repl[i+1] >= '0' && repl[i+1] <= '9') {
				i++
				continue
			}
			return false
		}
	}
	return true
}

// FuzzPatterns runs find, match, gmatch and gsub with the capped library
// and with gopher-lua's own: no panic, no result over the cap, and on small
// inputs the same results (or both an error) where gopher-lua follows Lua
// 5.1.
func FuzzPatterns(f *testing.F) {
	for _, seed := range [][3]string{
		{"hello world", "o", "0"},
		{"key=value; k2=v2", "(%w+)=(%w+)", "%2=%1"},
		{"  trim  ", "^%s*(.-)%s*$", "%1"},
		{"THE (quick) fox", "%((%a+)%)", "[%1]"},
		{"a.b.c", ".", "%0%0"},
		{"f(a(b)c)d", "%b()", ""},
		{"abc", "[^%a]", "x"},
		{"aaa", "a-", "-"},
		{"x", "[", "y"},
		{"x", "%", "y"},
		{"x", "(()", "%1"},
		{"abc", "b", "%9"},
	} {
		f.Add(seed[0], seed[1], seed[2], 2)
	}
	f.Fuzz(func(t *testing.T, s, pat, repl string, n int) {
		if len(s) > 256 || len(pat) > 32 || len(repl) > 32 {
			return
		}
		capped, ref := newState(t, fuzzMax), refState(t)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		capped.SetContext(ctx)
		// gopher-lua ignores init for an empty pattern, a back reference
		// to a position capture matches in it, and it reads ranges in sets
		// that end in an escape or a '-' ([0-%0], [1--0]) otherwise.
		compare := backtracksLittle(pat) && !strings.Contains(pat, "%f") && pat != "" &&
			!(strings.Contains(pat, "()") && strings.ContainsAny(pat, "123456789")) &&
			!(strings.Contains(pat, "[") && strings.Contains(pat, "-"))
		for _, c := range []struct {
			fn   string
			args []lua.LValue
		}{
			{"find", []lua.LValue{lua.LString(s), lua.LString(pat)}},
			{"find", []lua.LValue{lua.LString(s), lua.LString(pat), lua.LNumber(n % 8), lua.LTrue}},
			{"match", []lua.LValue{lua.LString(s), lua.LString(pat), lua.LNumber(n % 8)}},
			{"gsub", []lua.LValue{lua.LString(s), lua.LString(pat), lua.LString(repl)}},
			// Lua 5.1 replaces nothing for an n of 0 or less, gopher-lua all.
			{"gsub", []lua.LValue{lua.LString(s), lua.LString(pat), lua.LString(repl), lua.LNumber(1 + max(n%4, -n%4))}},
		} {
			got, err := callString(capped, c.fn, c.args...)
			if isPanic(err) {
				t.Fatalf("string.%s(%s) panicked: %v", c.fn, render(c.args), err)
			}
			if longest > fuzzMax {
				t.Fatalf("string.%s gave %d bytes, over the cap", c.fn, longest)
			}
			if !compare || ctx.Err() != nil || (c.fn == "gsub" && !plainEscapes(repl)) ||
				(c.fn != "gsub" && (n%8 > len(s) || n%8 < 0)) { // gopher-lua mishandles an init past the end or negative

				continue
			}
			want, rerr := callString(ref, c.fn, c.args...)
			if want == "" && rerr == nil {
				want = "nil" // gopher-lua returns nothing where Lua returns nil
			}
			switch {
			case rerr != nil:
				// gopher-lua raises in places Lua 5.1 does not (an
				// unfinished capture gsub never reads, say): nothing to
				// compare with.
			case err != nil && patternError(err):
				// Lua 5.1 raises for a malformed pattern; gopher-lua
				// matches what it can.
			case err != nil && strings.Contains(err.Error(), "string length overflow") && len(want) > fuzzMax:
				// The cap refused a result gopher-lua builds past it.
			case (err == nil) != (rerr == nil) || got != want:
				t.Errorf("string.%s(%s): got %q, %v; gopher-lua gives %q, %v", c.fn, render(c.args), short(got), err, short(want), rerr)
			}
		}
	})
}

// FuzzRep checks string.rep against the cap and against gopher-lua's own
// below it.
func FuzzRep(f *testing.F) {
	f.Add("ab", 3)
	f.Add("", 1<<30)
	f.Add("xyz", -1)
	f.Add("a", 1<<12)
	f.Fuzz(func(t *testing.T, s string, n int) {
		capped, ref := newState(t, fuzzMax), refState(t)
		got, err := callString(capped, "rep", lua.LString(s), lua.LNumber(n))
		if isPanic(err) {
			t.Fatalf("string.rep(%q, %d) panicked: %v", s, n, err)
		}
		size := int64(len(s)) * int64(max(n, 0))
		switch {
		case size > fuzzMax && (err == nil || !strings.Contains(err.Error(), "string length overflow")):
			t.Fatalf("string.rep(%d bytes, %d): got %d bytes, %v; want the overflow error", len(s), n, len(got), err)
		case size <= fuzzMax:
			want, rerr := callString(ref, "rep", lua.LString(s), lua.LNumber(n))
			if err != nil || rerr != nil || got != want {
				t.Fatalf("string.rep(%q, %d): got %q, %v; gopher-lua gives %q, %v", s, n, short(got), err, short(want), rerr)
			}
		}
	})
}

// FuzzFormat runs string.format with fuzzed format strings and arguments:
// no panic, nothing over the cap.
func FuzzFormat(f *testing.F) {
	f.Add("%s=%d", "x", 5.0)
	f.Add("%q", "a\x00b\n\"", 0.0)
	f.Add("%5.2f|%-8s|%x|%c", "y", 3.25)
	f.Add("%99999999s", "z", 1.0)
	f.Add("%", "", 0.0)
	f.Fuzz(func(t *testing.T, format, s string, x float64) {
		if len(format) > 64 {
			return
		}
		L := newState(t, fuzzMax)
		_, err := callString(L, "format", lua.LString(format), lua.LString(s), lua.LNumber(x), lua.LString(s))
		if isPanic(err) {
			t.Fatalf("string.format(%q, ...) panicked: %v", format, err)
		}
		if longest > fuzzMax {
			t.Fatalf("string.format(%q, ...) gave %d bytes, over the cap", format, longest)
		}
	})
}
