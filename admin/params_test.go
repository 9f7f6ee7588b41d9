package admin

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
)

// engineScripts is the admin API's view of a real engine.
type engineScripts struct{ e *engine.Engine }

func (s engineScripts) Names() []string   { return s.e.Snapshot().Names() }
func (s engineScripts) Has(n string) bool { return s.e.Snapshot().Has(n) }
func (s engineScripts) Source(n string) ([]byte, bool) {
	return s.e.Snapshot().Source(n), s.e.Snapshot().Has(n)
}
func (s engineScripts) SHA256(n string) (string, bool) {
	return s.e.Snapshot().SHA256(n), s.e.Snapshot().Has(n)
}
func (s engineScripts) Params(n string) (engine.Params, bool) { return s.e.Snapshot().Params(n) }
func (s engineScripts) CheckParams(h string, p any) error     { return s.e.Snapshot().CheckParams(h, p) }
func (s engineScripts) Put(n string, src []byte, b []engine.Binding) error {
	return s.e.Put(n, src, b...)
}
func (s engineScripts) Delete(n string) error           { return s.e.Delete(n) }
func (s engineScripts) Reload(b []engine.Binding) error { return s.e.ReloadBound(b) }

const (
	injectV1 = `return {
  params = { header = { type = "string", required = true }, prefix = { type = "string", default = "" } },
  handler = function(req, ctx) return deny() end,
}`
	injectV2 = `return {
  params = { header = { type = "string", required = true }, secret = { type = "string", required = true } },
  handler = function(req, ctx) return deny() end,
}`
)

func newParamsAPI(t *testing.T, class []engine.Binding) (*httptest.Server, string) {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{"inject": injectV1, "plain": "return function() return deny() end"} {
		if err := os.WriteFile(filepath.Join(dir, name+".lua"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, err := engine.New(engine.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	reg := sandbox.NewRegistry(map[string]*policy.Class{"default": {Name: "default", Intercept: true, DenyStatus: 403}})
	srv := httptest.NewServer(New(Options{Token: "tok", Registry: reg, Scripts: engineScripts{e}, ClassBindings: class}))
	t.Cleanup(srv.Close)
	if code, body := call(t, srv, "tok", "POST", "/v1/sandboxes", `{"id":"sb1"}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	return srv, dir
}

func TestBindingParamsChecked(t *testing.T) {
	srv, _ := newParamsAPI(t, nil)
	for _, tc := range []struct {
		name, path, body string
		want             int
		contains         string
	}{
		{"missing", "/v1/sandboxes/sb1/outbound", `{"handler":"inject"}`, 422, "params.header: required"},
		{"wrong type", "/v1/sandboxes/sb1/outbound", `{"handler":"inject","params":{"header":7}}`, 422, "params.header: want string, got number"},
		{"undeclared", "/v1/sandboxes/sb1/outbound", `{"handler":"inject","params":{"header":"X","prefx":"a"}}`, 422, "params.prefx: not declared"},
		{"by host missing", "/v1/sandboxes/sb1/outbound-by-host/api.github.com", `{"handler":"inject","params":{}}`, 422, "params.header: required"},
		{"plain function takes anything", "/v1/sandboxes/sb1/outbound", `{"handler":"plain","params":{"x":[1]}}`, 200, `"handler": "plain"`},
		{"good", "/v1/sandboxes/sb1/outbound-by-host/api.github.com", `{"handler":"inject","params":{"header":"X"}}`, 200, `"handler": "inject"`},
		{"bad glob", "/v1/sandboxes/sb1/outbound-by-host/%7Bapi,uploads.github.com", `{"handler":"plain"}`, 400, `{api,uploads.github.com\": missing '}'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(t, srv, "tok", "PUT", tc.path, tc.body)
			if code != tc.want || !strings.Contains(body, tc.contains) {
				t.Errorf("got %d %s, want %d containing %q", code, body, tc.want, tc.contains)
			}
		})
	}
}

func TestScriptReplacementKeepsBindings(t *testing.T) {
	class := []engine.Binding{{Where: "class default outbound", Handler: "inject", Params: map[string]any{"header": "X", "secret": "s"}}}
	srv, dir := newParamsAPI(t, class)
	call(t, srv, "tok", "PUT", "/v1/sandboxes/sb1/outbound-by-host/api.github.com", `{"handler":"inject","params":{"header":"X"}}`)

	code, body := call(t, srv, "tok", "PUT", "/v1/scripts/inject", injectV2)
	if code != 422 || !strings.Contains(body, "sandbox sb1 outbound-by-host api.github.com: params.secret: required") {
		t.Errorf("put: got %d %s, want 422 naming the sandbox's binding", code, body)
	}
	if _, src := call(t, srv, "tok", "GET", "/v1/scripts/inject", ""); src != injectV1 {
		t.Errorf("the old script did not stay: %q", src)
	}
	// The class binding has no prefix, which v1 declares: v1 is fine, and
	// a version without secret breaks the class binding, which has one.
	if code, body := call(t, srv, "tok", "PUT", "/v1/scripts/inject", strings.Replace(injectV1, "prefix", "secret2", 1)); code != 422 ||
		!strings.Contains(body, "class default outbound: params.secret: not declared") {
		t.Errorf("put: got %d %s, want 422 naming the class binding", code, body)
	}
	os.WriteFile(filepath.Join(dir, "inject.lua"), []byte(injectV2), 0o644)
	if code, body := call(t, srv, "tok", "POST", "/v1/scripts/reload", ""); code != 422 || !strings.Contains(body, "sandbox sb1 outbound-by-host api.github.com: params.secret: required") {
		t.Errorf("reload: got %d %s, want 422 naming the binding", code, body)
	}
	if _, src := call(t, srv, "tok", "GET", "/v1/scripts/inject", ""); src != injectV1 {
		t.Errorf("reload swapped in the breaking script: %q", src)
	}
}

func TestScriptsShowParams(t *testing.T) {
	srv, _ := newParamsAPI(t, nil)
	code, body := call(t, srv, "tok", "GET", "/v1/scripts", "")
	var got struct {
		Scripts []struct {
			Name   string                     `json:"name"`
			Params map[string]json.RawMessage `json:"params"`
		} `json:"scripts"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || len(got.Scripts) != 2 {
		t.Fatalf("got %d %s (%v)", code, body, err)
	}
	inject, plain := got.Scripts[0], got.Scripts[1]
	want := map[string]string{
		"header": `{"required":true,"type":"string"}`,
		"prefix": `{"default":"","required":false,"type":"string"}`,
	}
	for name, w := range want {
		if g := compact(t, inject.Params[name]); g != w {
			t.Errorf("params.%s: got %s, want %s", name, g, w)
		}
	}
	if plain.Params != nil || !strings.Contains(body, `"params": null`) {
		t.Errorf("plain function: got %v, want params null", plain.Params)
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
