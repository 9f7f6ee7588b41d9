package luastr

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

const testMax = 1 << 20

// newState returns an LState with the libraries sandgate gives scripts
// and the capped functions installed with limit max.
func newState(t testing.TB, max int) *lua.LState {
	t.Helper()
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	t.Cleanup(L.Close)
	libs := []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.StringLibName, lua.OpenString},
		{lua.TabLibName, lua.OpenTable},
		{lua.MathLibName, lua.OpenMath},
	}
	for _, lib := range libs {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	Open(L, max)
	return L
}

// run compiles src with Compile, runs it and returns its results rendered
// by render, or the Lua error message.
func run(L *lua.LState, src string) (string, error) {
	proto, err := Compile([]byte(src), "test")
	if err != nil {
		return "", err
	}
	return call(L, L.NewFunctionFromProto(proto))
}

func call(L *lua.LState, fn *lua.LFunction) (string, error) {
	base := L.GetTop()
	L.Push(fn)
	if err := L.PCall(0, lua.MultRet, nil); err != nil {
		return "", luaMessage(err)
	}
	vals := make([]lua.LValue, 0, L.GetTop()-base)
	for i := base + 1; i <= L.GetTop(); i++ {
		vals = append(vals, L.Get(i))
	}
	L.SetTop(base)
	return render(vals), nil
}

// short keeps failure messages readable when a result is a huge string.
func short(s string) string {
	if len(s) > 200 {
		return fmt.Sprintf("%s... (%d bytes)", s[:200], len(s))
	}
	return s
}

// luaMessage strips the Lua traceback that PCall adds, leaving the message.
func luaMessage(err error) error {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		return errors.New(ae.Object.String())
	}
	return err
}

// render prints values as a Lua programmer would write them: 5, "x", nil.
func render(vals []lua.LValue) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		if s, ok := v.(lua.LString); ok {
			parts[i] = fmt.Sprintf("%q", string(s))
		} else {
			parts[i] = v.String()
		}
	}
	return strings.Join(parts, ", ")
}

type evalCase struct {
	name string
	code string // a Lua chunk returning the values to compare
	want string // the values rendered, or the error text when wantErr
	err  bool
}

// runCases runs each case on a fresh state; an error case passes when the
// error message contains want.
func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := run(newState(t, testMax), tc.code)
			switch {
			case tc.err && err == nil:
				t.Fatalf("got %q, want an error containing %q", short(got), tc.want)
			case tc.err && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("got error %q, want it to contain %q", err, tc.want)
			case !tc.err && err != nil:
				t.Fatalf("got error %q, want %q", err, tc.want)
			case !tc.err && got != tc.want:
				t.Fatalf("got %q, want %q", short(got), tc.want)
			}
		})
	}
}
