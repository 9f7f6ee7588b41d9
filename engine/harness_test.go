package engine

import (
	"errors"
	"io"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestHarness(t *testing.T) {
	h := NewHarness(Options{})
	defer h.Close()
	L := h.LState()
	var got lua.LValue
	h.SetGlobal("keep", L.NewFunction(func(L *lua.LState) int { got = L.Get(1); return 0 }))
	if err := h.Load([]byte(`keep(response{status = 201, headers = {["X-A"] = "1"}, body = json.encode({a = {1, 2}})})`), "t_test.lua"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a copy each time
		res, ok := h.Response(got)
		if !ok {
			t.Fatalf("Response(%v): not a response", got)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 201 || res.Header.Get("X-A") != "1" || string(b) != `{"a":[1,2]}` {
			t.Errorf("got %d %v %q", res.StatusCode, res.Header, b)
		}
		res.Header.Set("X-A", "changed")
	}
	if _, ok := h.Response(lua.LString("x")); ok {
		t.Error("a string passed for a response")
	}
	v, err := h.GoValue(L.GetGlobal("json").(*lua.LTable).RawGetString("null"))
	if err != nil || v != nil {
		t.Errorf("json.null: got %v, %v, want nil", v, err)
	}
}

func TestHarnessLoadErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"x = = 1\n", "t_test.lua:1:5: "},
		{"\nerror('boom')\n", "t_test.lua:2: boom"},
		{"fetch{url = 'https://example.com/'}\n", "t_test.lua:1: fetch: no upstream transport configured"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			h := NewHarness(Options{})
			defer h.Close()
			err := h.Load([]byte(tc.src), "t_test.lua")
			var se *ScriptError
			if !errors.As(err, &se) || len(err.Error()) < len(tc.want) || err.Error()[:len(tc.want)] != tc.want {
				t.Errorf("got %v, want a ScriptError starting %q", err, tc.want)
			}
		})
	}
}
