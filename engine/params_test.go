package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// declaring is a script that declares params and answers ctx.params as JSON.
const declaring = `return {
  params = {
    header = { type = "string", required = true },
    prefix = { type = "string", default = "" },
    hosts  = { type = "list", default = {} },
    limits = { type = "table", default = { rate = 5 } },
    on     = { type = "boolean", default = false },
    n      = { type = "number" },
    extra  = { type = "any" },
  },
  handler = function(req, ctx) return response{ body = json.encode(ctx.params) } end,
}
`

func TestParamsCheck(t *testing.T) {
	ps := Params{
		"header": {Type: TypeString, Required: true},
		"n":      {Type: TypeNumber},
		"on":     {Type: TypeBoolean},
		"hosts":  {Type: TypeList},
		"t":      {Type: TypeTable},
		"x":      {Type: TypeAny},
	}
	tests := []struct {
		name   string
		params any
		want   string // "" for no error
	}{
		{name: "only the required one", params: map[string]any{"header": "X-Key"}},
		{name: "all of them", params: map[string]any{"header": "h", "n": 1.5, "on": true, "hosts": []any{"a"}, "t": map[string]any{}, "x": []any{}}},
		{name: "int from YAML", params: map[string]any{"header": "h", "n": 3}},
		{name: "missing", params: map[string]any{}, want: "params.header: required"},
		{name: "no params", params: nil, want: "params.header: required"},
		{name: "null is absent", params: map[string]any{"header": nil}, want: "params.header: required"},
		{name: "wrong type", params: map[string]any{"header": 7.0}, want: "params.header: want string, got number"},
		{name: "list wanted", params: map[string]any{"header": "h", "hosts": "a"}, want: "params.hosts: want list, got string"},
		{name: "table wanted", params: map[string]any{"header": "h", "t": []any{}}, want: "params.t: want table, got list"},
		{name: "undeclared", params: map[string]any{"header": "h", "hedaer": "x"},
			want: "params.hedaer: not declared (the script declares header, hosts, n, on, t, x)"},
		{name: "several", params: map[string]any{"on": "yes", "zz": 1.0},
			want: "params.header: required; params.on: want boolean, got string; params.zz: not declared"},
		{name: "not an object", params: []any{"a"}, want: "params: want a JSON object, got list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ps.Check(tc.params)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if err := Params(nil).Check(map[string]any{"anything": 1.0}); err != nil {
		t.Errorf("a plain function: got %v, want any params accepted", err)
	}
}

func TestDeclaredParamsAndDefaults(t *testing.T) {
	env := newEnv(t, map[string]string{"h": declaring, "plain": okScript})
	ps, ok := env.Snapshot().Params("h")
	if !ok || len(ps) != 7 || !ps["header"].Required || ps["prefix"].Default != "" {
		t.Fatalf("Params: got %+v, %v", ps, ok)
	}
	if got, ok := env.Snapshot().Params("plain"); !ok || got != nil {
		t.Errorf("plain function: got %+v, %v, want nil params", got, ok)
	}
	tests := []struct {
		name   string
		params map[string]any
		want   string
	}{
		// json.encode writes the empty list default as {}.
		{name: "defaults filled", params: map[string]any{"header": "X"},
			want: `{"header":"X","hosts":{},"limits":{"rate":5},"on":false,"prefix":""}`},
		{name: "given values kept", params: map[string]any{"header": "X", "prefix": "Bearer ", "on": true, "n": 2.0},
			want: `{"header":"X","hosts":{},"limits":{"rate":5},"n":2,"on":true,"prefix":"Bearer "}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, hadPrefix := tc.params["prefix"]
			for range 2 { // the second call comes from the cache
				call := newCall("h", "GET", "http://example.com/")
				call.Params = tc.params
				res, err := env.Snapshot().Run(context.Background(), call)
				if err != nil {
					t.Fatal(err)
				}
				if got := body(t, res); got != tc.want {
					t.Errorf("got %q, want %q", got, tc.want)
				}
				if _, has := tc.params["prefix"]; has != hadPrefix {
					t.Error("filling in defaults changed the binding's params")
				}
			}
		})
	}
	call := newCall("h", "GET", "http://example.com/")
	call.Params = map[string]any{"prefix": "x"}
	_, err := env.Snapshot().Run(context.Background(), call)
	var he *HandlerError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "params.header: required") {
		t.Errorf("params the declaration refuses: got %v, want a HandlerError naming params.header", err)
	}
}

func TestBadDeclarations(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"no handler", `return { params = {} }`, "needs handler = function"},
		{"extra key", `return { handler = function() end, parms = {} }`, "not parms"},
		{"params not a table", `return { handler = function() end, params = "x" }`, "params must be a table"},
		{"bad type", `return { handler = function() end, params = { a = { type = "int" } } }`, `params.a: type must be one of`},
		{"no type", `return { handler = function() end, params = { a = { required = true } } }`, "params.a: type is missing"},
		{"unknown key", `return { handler = function() end, params = { a = { type = "any", requried = true } } }`, "unknown key requried"},
		{"required with default", `return { handler = function() end, params = { a = { type = "string", required = true, default = "x" } } }`, "a required param has no default"},
		{"default of the wrong type", `return { handler = function() end, params = { a = { type = "number", default = "5" } } }`, "default: want number, got string"},
		{"bad name", `return { handler = function() end, params = { ["a-b"] = { type = "any" } } }`, "is not a param name"},
		{"function default", `return { handler = function() end, params = { a = { type = "any", default = print } } }`, "cannot be a param value"},
		{"mixed table default", `return { handler = function() end, params = { a = { type = "any", default = { 1, x = 2 } } } }`, "mixes list items"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeScript(t, dir, "h", tc.src)
			_, err := New(Options{Dir: dir})
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a LoadError containing %q", err, tc.want)
			}
		})
	}
}

func TestReplacingAScriptChecksBindings(t *testing.T) {
	env := newEnv(t, map[string]string{"h": okScript})
	bound := []Binding{
		{Where: "class default outbound", Handler: "h", Params: map[string]any{"prefix": "x"}},
		{Where: "sandbox sb1 outbound-by-host api.github.com", Handler: "h", Params: nil},
		{Where: "sandbox sb2 outbound", Handler: "other", Params: nil},
	}
	err := env.Put("h", []byte(declaring), bound...)
	var be *BindingError
	if !errors.As(err, &be) || len(be.Problems) != 2 {
		t.Fatalf("got %v, want a BindingError with two problems", err)
	}
	for _, want := range []string{
		"class default outbound: params.header: required",
		"sandbox sb1 outbound-by-host api.github.com: params.header: required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to name %q", err, want)
		}
	}
	if got := string(env.Snapshot().Source("h")); got != okScript {
		t.Errorf("the old script did not stay: got %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(env.dir, "h.lua")); string(b) != okScript {
		t.Errorf("the old file did not stay: got %q", b)
	}

	writeScript(t, env.dir, "h", declaring)
	if err := env.ReloadBound(bound[:2]); !errors.As(err, &be) || !strings.Contains(err.Error(), "class default outbound") {
		t.Errorf("reload: got %v, want a BindingError naming the class binding", err)
	}
	if got := string(env.Snapshot().Source("h")); got != okScript {
		t.Errorf("reload swapped in the breaking script: got %q", got)
	}
	ok := []Binding{{Where: "class default outbound", Handler: "h", Params: map[string]any{"header": "X"}}}
	if err := env.ReloadBound(ok); err != nil {
		t.Errorf("reload with suitable params: %v", err)
	}
	if err := env.ReloadBound([]Binding{{Where: "class x outbound", Handler: "gone"}}); !strings.Contains(errString(err), "gone.lua: bound handler missing") {
		t.Errorf("reload with a missing bound handler: got %v", err)
	}
}

func TestTestFilesAreNotHandlers(t *testing.T) {
	env := newEnv(t, map[string]string{"h": okScript, "h_test": "this is not even Lua"})
	if env.Snapshot().Has("h_test") || len(env.Snapshot().Names()) != 1 {
		t.Errorf("got %q, want only h", env.Snapshot().Names())
	}
	if err := env.Reload(nil); err != nil {
		t.Errorf("Reload: %v", err)
	}
	if err := env.Put("x_test", []byte(okScript)); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Put of a test name: got %v, want ErrInvalidName", err)
	}
}

func TestSyntaxErrorColumn(t *testing.T) {
	tests := []struct {
		src        string
		line, col  int
		wantInText string
	}{
		{src: "return function(req, ctx)\n  return deny(\nend\n", line: 3, col: 1, wantInText: "h.lua:3:1: "},
		{src: "local x = = 1\nreturn function() end\n", line: 1, col: 11, wantInText: "h.lua:1:11: "},
		{src: "return function()\n  foo bar\nend\n", line: 2, col: 7, wantInText: "h.lua:2:7: "},
	}
	for _, tc := range tests {
		t.Run(tc.wantInText, func(t *testing.T) {
			dir := t.TempDir()
			writeScript(t, dir, "h", tc.src)
			_, err := New(Options{Dir: dir})
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a LoadError", err)
			}
			se := le.Errors[0]
			if se.Line != tc.line || se.Column != tc.col || !strings.Contains(err.Error(), tc.wantInText) {
				t.Errorf("got %d:%d (%q), want %d:%d", se.Line, se.Column, err, tc.line, tc.col)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
