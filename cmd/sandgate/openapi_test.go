package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sandgate/sandgate/admin/client"
	"github.com/sandgate/sandgate/config"
)

// The admin API's reference documents: the OpenAPI document and the prose.
var (
	openAPIPath  = filepath.Join("..", "..", "docs", "openapi.yaml")
	adminDocPath = filepath.Join("..", "..", "docs", "admin-api.md")
)

// httpMethods are the operations an OpenAPI path item may hold.
var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// wireTypes are the admin client's types, which the server writes and
// reads, by the name of the schema that documents them.
var wireTypes = map[string]reflect.Type{
	"CreateRequest":  reflect.TypeFor[client.CreateRequest](),
	"Created":        reflect.TypeFor[client.Created](),
	"SandboxSummary": reflect.TypeFor[client.SandboxSummary](),
	"Sandbox":        reflect.TypeFor[client.Sandbox](),
	"Policy":         reflect.TypeFor[client.Policy](),
	"Runtime":        reflect.TypeFor[client.Runtime](),
	"Binding":        reflect.TypeFor[client.Binding](),
	"RateLimit":      reflect.TypeFor[client.RateLimit](),
	"Script":         reflect.TypeFor[client.Script](),
	"Param":          reflect.TypeFor[client.Param](),
	"ScriptStatus":   reflect.TypeFor[client.ScriptStatus](),
	"Status":         reflect.TypeFor[client.Status](),
	"StateStatus":    reflect.TypeFor[client.StateStatus](),
	"Event":          reflect.TypeFor[client.Event](),
}

// openAPI is the document, decoded as JSON would decode it.
type openAPI map[string]any

func loadOpenAPI(t *testing.T) openAPI {
	t.Helper()
	b, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s is not valid YAML: %v", openAPIPath, err)
	}
	// Through JSON, so that maps, numbers and nulls are what encoding/json
	// (and so the admin API's clients) would see.
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s cannot be expressed as JSON: %v", openAPIPath, err)
	}
	var doc openAPI
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// resolve follows a local "$ref" ("#/components/schemas/Sandbox") to what
// it names; anything else is returned as it is.
func (d openAPI) resolve(v any) (any, error) {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v, nil
		}
		if !strings.HasPrefix(ref, "#/") {
			return nil, fmt.Errorf("$ref %q is not local", ref)
		}
		var cur any = map[string]any(d)
		for _, part := range strings.Split(ref[2:], "/") {
			part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
			cm, ok := cur.(map[string]any)
			if !ok || cm[part] == nil {
				return nil, fmt.Errorf("$ref %q does not resolve", ref)
			}
			cur = cm[part]
		}
		v = cur
	}
	return nil, fmt.Errorf("$ref chain too long")
}

// operation is one documented method and path.
type operation struct {
	method, path string
	op           map[string]any
}

func (o operation) pattern() string { return strings.ToUpper(o.method) + " " + o.path }

func (d openAPI) operations(t *testing.T) []operation {
	t.Helper()
	paths, ok := d["paths"].(map[string]any)
	if !ok {
		t.Fatalf("%s has no paths", openAPIPath)
	}
	var out []operation
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		for _, m := range httpMethods {
			if op, ok := item[m].(map[string]any); ok {
				out = append(out, operation{method: m, path: path, op: op})
			}
		}
	}
	return out
}

// security is the operation's security requirement, or the document's.
func (d openAPI) security(o operation) []any {
	if s, ok := o.op["security"]; ok {
		l, _ := s.([]any)
		return l
	}
	l, _ := d["security"].([]any)
	return l
}

// testGateway builds a gateway exactly as serve does (the admin API with
// everything serve mounts on it), on a copy of the shipped scripts, a memory
// state and port-0 listeners; nothing is served.
func testGateway(t *testing.T) *gateway {
	t.Helper()
	dir := t.TempDir()
	scripts := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(scripts, 0o755); err != nil {
		t.Fatal(err)
	}
	shipped, _ := filepath.Glob(filepath.Join("..", "..", "scripts", "*.lua"))
	for _, f := range shipped {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(scripts, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "sandgate.yaml")
	src := `version: 1
proxy: { listen: 127.0.0.1:0 }
admin: { listen: 127.0.0.1:0 }
scripts_dir: ./scripts
secrets: { backend: file, file: { path: ./secrets.json } }
state: { backend: memory }
`
	if err := os.WriteFile(cfgFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SANDGATE_ADMIN_TOKEN", "openapi-test-token")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g, err := build(context.Background(), cfg, log, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = g.srv.Shutdown(ctx)
		_ = g.proxyLn.Close()
		_ = g.adminLn.Close()
		g.close()
	})
	return g
}

// Every route the gateway's admin listener serves is documented in
// docs/openapi.yaml, and every documented route is served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	served := testGateway(t).api.Routes()
	documented := map[string]bool{}
	for _, o := range doc.operations(t) {
		documented[o.pattern()] = true
	}
	for _, r := range served {
		if !documented[r] {
			t.Errorf("%s does not document %s, which the admin API serves", openAPIPath, r)
		}
	}
	for r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("%s documents %s, which the admin API does not serve", openAPIPath, r)
		}
	}
	if len(served) < 25 {
		t.Errorf("the admin API serves only %d routes: %q", len(served), served)
	}
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// The security the document gives each route is the one the server
// applies: a request without a token is refused (401, WWW-Authenticate)
// exactly where the document asks for the bearer token, and every /v1/
// route asks for it.
func TestOpenAPISecurityIsTheServers(t *testing.T) {
	doc := loadOpenAPI(t)
	api := testGateway(t).api
	schemes, _ := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	bearer, _ := schemes["adminToken"].(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Fatalf("the security scheme adminToken is %v, want http bearer", bearer)
	}
	for _, o := range doc.operations(t) {
		secured := len(doc.security(o)) > 0
		if strings.HasPrefix(o.path, "/v1/") && !secured {
			t.Errorf("%s: a /v1/ route without the bearer token", o.pattern())
		}
		if secured {
			if _, ok := o.op["responses"].(map[string]any)["401"]; !ok {
				t.Errorf("%s needs the token but documents no 401", o.pattern())
			}
		}
		if o.method == "get" && (o.path == "/debug/pprof/profile" || o.path == "/debug/pprof/trace") && !secured {
			t.Fatalf("%s is documented without a token; probing it would profile for 30s", o.pattern())
		}
		req := httptest.NewRequest(strings.ToUpper(o.method), pathParam.ReplaceAllString(o.path, "probe"), nil)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		got401 := rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") != ""
		switch {
		case secured && !got401:
			t.Errorf("%s without a token: got %d, want 401 with WWW-Authenticate, as documented", o.pattern(), rec.Code)
		case !secured && rec.Code != http.StatusOK:
			t.Errorf("%s without a token: got %d, want 200 (documented as needing no token)", o.pattern(), rec.Code)
		}
	}
}

// The document is OpenAPI 3.1, every $ref resolves, and every operation
// has an id, a summary, responses, and an example for each JSON answer.
func TestOpenAPIIsComplete(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi: got %q, want 3.1.x", v)
	}
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["$ref"].(string); ok {
				if _, err := doc.resolve(x); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, c := range x {
				walk(at+"/"+k, c)
			}
		case []any:
			for i, c := range x {
				walk(fmt.Sprintf("%s/%d", at, i), c)
			}
		}
	}
	walk("#", map[string]any(doc))
	ids := map[string]string{}
	for _, o := range doc.operations(t) {
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s has no operationId", o.pattern())
		} else if other, dup := ids[id]; dup {
			t.Errorf("%s and %s share the operationId %s", o.pattern(), other, id)
		}
		ids[id] = o.pattern()
		if s, _ := o.op["summary"].(string); s == "" {
			t.Errorf("%s has no summary", o.pattern())
		}
		responses, _ := o.op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s has no responses", o.pattern())
		}
		for code, r := range responses {
			res, err := doc.resolve(r)
			if err != nil {
				continue // reported by the walk
			}
			content, _ := res.(map[string]any)["content"].(map[string]any)
			media, ok := content["application/json"].(map[string]any)
			if !ok {
				continue
			}
			if media["example"] == nil && media["examples"] == nil {
				t.Errorf("%s %s: a JSON answer without an example", o.pattern(), code)
			}
		}
	}
}

// Each wire type of the admin client has a schema with exactly its fields.
func TestOpenAPISchemasAreTheWireTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name, typ := range wireTypes {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("no schema %s for %s", name, typ)
			continue
		}
		props, _ := s["properties"].(map[string]any)
		want := jsonFields(typ)
		got := slices.Sorted(maps.Keys(props))
		if !slices.Equal(got, want) {
			t.Errorf("schema %s has the properties %q, %s has the fields %q", name, got, typ, want)
		}
		if s["additionalProperties"] != false {
			t.Errorf("schema %s allows properties %s does not have (additionalProperties: false)", name, typ)
		}
	}
}

// jsonFields are the JSON names of t's fields, embedded structs flattened.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Every example matches its schema, and an example of a wire type decodes
// into that type with no field left over.
func TestOpenAPIExamplesMatchTheirSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	checked := 0
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if schema, ok := x["schema"]; ok {
				for name, ex := range mediaExamples(t, doc, at, x) {
					checked++
					for _, err := range doc.validate(ex, schema, "") {
						t.Errorf("%s example %s: %v", at, name, err)
					}
					decodeWireExample(t, doc, at+" example "+name, schema, ex)
				}
			}
			for k, c := range x {
				if k == "examples" && at == "#/components" {
					continue // checked where they are used
				}
				walk(at+"/"+k, c)
			}
		case []any:
			for i, c := range x {
				walk(fmt.Sprintf("%s/%d", at, i), c)
			}
		}
	}
	walk("#", map[string]any(doc))
	if checked < 40 {
		t.Errorf("checked only %d examples", checked)
	}
}

// mediaExamples are the examples of a media type or parameter, refs
// resolved; an NDJSON example written as text gives one example per line.
func mediaExamples(t *testing.T, doc openAPI, at string, media map[string]any) map[string]any {
	out := map[string]any{}
	if ex, ok := media["example"]; ok {
		out["example"] = ex
	}
	exs, _ := media["examples"].(map[string]any)
	for name, e := range exs {
		r, err := doc.resolve(e)
		if err != nil {
			t.Errorf("%s examples %s: %v", at, name, err)
			continue
		}
		if v, ok := r.(map[string]any)["value"]; ok {
			out[name] = v
		}
	}
	if strings.HasSuffix(at, "/application/x-ndjson") {
		lines := map[string]any{}
		for name, ex := range out {
			s, ok := ex.(string)
			if !ok {
				lines[name] = ex
				continue
			}
			for i, line := range strings.Split(strings.TrimSpace(s), "\n") {
				var v any
				if err := json.Unmarshal([]byte(line), &v); err != nil {
					t.Errorf("%s %s line %d is not JSON: %v", at, name, i+1, err)
					continue
				}
				lines[fmt.Sprintf("%s line %d", name, i+1)] = v
			}
		}
		return lines
	}
	return out
}

// decodeWireExample decodes ex strictly into the wire type its schema
// names, if it names one.
func decodeWireExample(t *testing.T, doc openAPI, at string, schema, ex any) {
	m, _ := schema.(map[string]any)
	ref, _ := m["$ref"].(string)
	typ, ok := wireTypes[strings.TrimPrefix(ref, "#/components/schemas/")]
	if !ok {
		return
	}
	raw, _ := json.Marshal(ex)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(reflect.New(typ).Interface()); err != nil {
		t.Errorf("%s does not decode into %s: %v", at, typ, err)
	}
}

// validate checks v against the JSON Schema keywords the document uses:
// $ref, type, properties, required, additionalProperties, items, oneOf,
// enum and const.
func (d openAPI) validate(v, schema any, at string) []error {
	s, err := d.resolve(schema)
	if err != nil {
		return []error{err}
	}
	sm, ok := s.(map[string]any)
	if !ok {
		return nil
	}
	if alts, ok := sm["oneOf"].([]any); ok {
		matched := 0
		for _, alt := range alts {
			if len(d.validate(v, alt, at)) == 0 {
				matched++
			}
		}
		if matched != 1 {
			return []error{fmt.Errorf("%s: matches %d of the oneOf alternatives, want 1", where(at), matched)}
		}
	}
	if typ, ok := sm["type"]; ok && !typeMatches(v, typ) {
		return []error{fmt.Errorf("%s: %v is not of type %v", where(at), v, typ)}
	}
	if c, ok := sm["const"]; ok && !reflect.DeepEqual(v, c) {
		return []error{fmt.Errorf("%s: %v, want %v", where(at), v, c)}
	}
	if enum, ok := sm["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		return []error{fmt.Errorf("%s: %v is not one of %v", where(at), v, enum)}
	}
	var errs []error
	switch x := v.(type) {
	case map[string]any:
		props, _ := sm["properties"].(map[string]any)
		for _, r := range asList(sm["required"]) {
			if _, ok := x[r.(string)]; !ok {
				errs = append(errs, fmt.Errorf("%s: the required %q is missing", where(at), r))
			}
		}
		for k, val := range x {
			if ps, ok := props[k]; ok {
				errs = append(errs, d.validate(val, ps, at+"."+k)...)
				continue
			}
			switch extra := sm["additionalProperties"].(type) {
			case bool:
				if !extra {
					errs = append(errs, fmt.Errorf("%s: %q is not a property of the schema", where(at), k))
				}
			case map[string]any:
				errs = append(errs, d.validate(val, extra, at+"."+k)...)
			}
		}
	case []any:
		if items, ok := sm["items"]; ok {
			for i, val := range x {
				errs = append(errs, d.validate(val, items, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func where(at string) string {
	if at == "" {
		return "the value"
	}
	return strings.TrimPrefix(at, ".")
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// typeMatches reports whether v (decoded JSON) is of the JSON Schema type
// typ, a name or a list of names.
func typeMatches(v, typ any) bool {
	names := asList(typ)
	if s, ok := typ.(string); ok {
		names = []any{s}
	}
	for _, n := range names {
		switch n {
		case "null":
			if v == nil {
				return true
			}
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "number":
			if _, ok := v.(float64); ok {
				return true
			}
		case "integer":
			if f, ok := v.(float64); ok && f == float64(int64(f)) {
				return true
			}
		}
	}
	return false
}

// call is one request of the conformance scenario and the status it must
// get.
type call struct {
	method, path string
	body         string
	header       map[string]string
	want         int
}

// The answers of the real admin API are the documented ones: through a
// scenario that crosses every route and most refusals, each status is
// documented for its route, each body matches the schema documented for
// that status, and a documented ETag is sent.
func TestOpenAPIAnswersAreTheServers(t *testing.T) {
	doc := loadOpenAPI(t)
	api := testGateway(t).api
	stale := `"000000000000.1"`
	ifMatch := map[string]string{"If-Match": stale}
	binding := `{"handler":"inject_header","params":{"header":"X-Key","secret":"s","field":"f"}}`
	scenario := []call{
		{method: "GET", path: "/healthz", want: 200},
		{method: "GET", path: "/metrics", want: 200},
		{method: "GET", path: "/v1/status", want: 200},
		{method: "POST", path: "/v1/sandboxes", body: `{"id":"sb1","labels":{"team":"a"}}`, want: 201},
		{method: "POST", path: "/v1/sandboxes", body: `{"id":"sb2","source_ip":"10.1.2.3"}`, want: 201},
		{method: "POST", path: "/v1/sandboxes", want: 201},
		{method: "POST", path: "/v1/sandboxes", body: `{"id":"sb1"}`, want: 409},
		{method: "POST", path: "/v1/sandboxes", body: `{"id":"sb3","source_ip":"10.1.2.3"}`, want: 409},
		{method: "POST", path: "/v1/sandboxes", body: `{"class":"nope"}`, want: 422},
		{method: "POST", path: "/v1/sandboxes", body: `{"idd":"x"}`, want: 400},
		{method: "POST", path: "/v1/sandboxes", body: `{"id":"-x"}`, want: 400},
		{method: "GET", path: "/v1/sandboxes", want: 200},
		{method: "GET", path: "/v1/sandboxes/sb1", want: 200},
		{method: "GET", path: "/v1/sandboxes/ghost", want: 404},
		{method: "GET", path: "/v1/sandboxes/sb1/ca.pem", want: 200},
		{method: "GET", path: "/v1/sandboxes/sb1/ca-bundle.pem", want: 200},
		{method: "GET", path: "/v1/sandboxes/ghost/ca.pem", want: 404},
		{method: "PUT", path: "/v1/sandboxes/sb1/allowed-hosts", body: `["example.com","*.example.org"]`, want: 200},
		{method: "PUT", path: "/v1/sandboxes/sb1/allowed-hosts", body: `["[a-"]`, want: 400},
		{method: "PUT", path: "/v1/sandboxes/sb1/allowed-hosts", body: `null`, header: ifMatch, want: 412},
		{method: "PUT", path: "/v1/sandboxes/ghost/allowed-hosts", body: `null`, want: 404},
		{method: "PUT", path: "/v1/sandboxes/sb1/denied-hosts", body: `["gist.github.com"]`, want: 200},
		{method: "PUT", path: "/v1/sandboxes/sb1/denied-hosts", body: `{}`, want: 400},
		{method: "PUT", path: "/v1/sandboxes/sb1/tcp-hosts", body: `["github.com"]`, want: 400},
		{method: "PUT", path: "/v1/sandboxes/sb1/tcp-hosts", body: `["github.com:22"]`, want: 200},
		{method: "PUT", path: "/v1/sandboxes/sb1/rate-limit", body: `{"requests":10,"per":"1s"}`, want: 200},
		{method: "PUT", path: "/v1/sandboxes/sb1/rate-limit", body: `{"requests":10,"per":"soon"}`, want: 400},
		{method: "PUT", path: "/v1/sandboxes/sb1/outbound", body: `{"handler":"nope"}`, want: 422},
		{method: "PUT", path: "/v1/sandboxes/sb1/outbound", body: `{"handler":"deny_all","params":[]}`, want: 400},
		{method: "PUT", path: "/v1/sandboxes/sb1/outbound", body: `{"handler":"deny_all"}`, header: ifMatch, want: 412},
		{method: "PUT", path: "/v1/sandboxes/sb1/outbound", body: `{"handler":"deny_all"}`, want: 200},
		{method: "PUT", path: "/v1/sandboxes/sb1/outbound-by-host/example.com", body: `{"handler":"inject_header","params":{"header":"X"}}`, want: 422},
		{method: "PUT", path: "/v1/sandboxes/sb1/outbound-by-host/a%5B", body: binding, want: 400},
		{method: "PUT", path: "/v1/sandboxes/sb1/outbound-by-host/%7Bapi,uploads%7D.github.com", body: binding, want: 200},
		{method: "PUT", path: "/v1/sandboxes/sb1/outbound-by-host/10.0.0.0%2F8", body: binding, want: 200},
		{method: "DELETE", path: "/v1/sandboxes/sb1/outbound-by-host/example.org", want: 404},
		{method: "DELETE", path: "/v1/sandboxes/sb1/outbound-by-host/10.0.0.0%2F8", header: ifMatch, want: 412},
		{method: "DELETE", path: "/v1/sandboxes/sb1/outbound-by-host/10.0.0.0%2F8", want: 204},
		{method: "GET", path: "/v1/sandboxes/sb1", want: 200},
		{method: "GET", path: "/v1/scripts", want: 200},
		{method: "GET", path: "/v1/scripts/deny_all", want: 200},
		{method: "GET", path: "/v1/scripts/nope", want: 404},
		{method: "PUT", path: "/v1/scripts/my_auth", body: "return function(req, ctx) return deny() end\n", want: 200},
		{method: "PUT", path: "/v1/scripts/my_auth", body: "return function(\n", want: 422},
		{method: "PUT", path: "/v1/scripts/inject_header", body: "return { params = { header = { type = \"string\" } }, handler = function(req) return fetch(req) end }\n", want: 422},
		{method: "PUT", path: "/v1/scripts/x_test", body: "return function() end\n", want: 400},
		{method: "PUT", path: "/v1/sandboxes/sb2/outbound", body: `{"handler":"my_auth"}`, want: 200},
		{method: "DELETE", path: "/v1/scripts/my_auth", want: 409},
		{method: "DELETE", path: "/v1/sandboxes/sb2/outbound", want: 204},
		{method: "DELETE", path: "/v1/scripts/my_auth", want: 204},
		{method: "DELETE", path: "/v1/scripts/my_auth", want: 404},
		{method: "POST", path: "/v1/scripts/reload", want: 200},
		{method: "POST", path: "/v1/secrets/flush", want: 200},
		{method: "GET", path: "/v1/events?decision=maybe", want: 400},
		{method: "DELETE", path: "/v1/sandboxes/sb1", header: ifMatch, want: 412},
		{method: "DELETE", path: "/v1/sandboxes/sb1", want: 204},
		{method: "DELETE", path: "/v1/sandboxes/sb1", want: 404},
		{method: "GET", path: "/debug/pprof/cmdline", want: 200},
		{method: "GET", path: "/v1/status", header: map[string]string{"Authorization": "Bearer wrong"}, want: 401},
	}
	seen := map[string]bool{}
	for _, c := range scenario {
		name := c.method + " " + c.path
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer openapi-test-token")
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s: got %d, want %d: %s", name, rec.Code, c.want, rec.Body)
			continue
		}
		o, ok := doc.operationFor(t, c.method, req.URL.EscapedPath())
		if !ok {
			t.Errorf("%s: no documented operation", name)
			continue
		}
		seen[o.pattern()] = true
		res, ok := o.op["responses"].(map[string]any)[fmt.Sprint(rec.Code)]
		if !ok {
			t.Errorf("%s: %s does not document the status %d it answered: %s", name, o.pattern(), rec.Code, rec.Body)
			continue
		}
		r, _ := doc.resolve(res)
		rm, _ := r.(map[string]any)
		doc.checkAnswer(t, name, rm, rec)
	}
	for _, o := range doc.operations(t) {
		if !seen[o.pattern()] && !strings.HasPrefix(o.path, "/debug/pprof/") && o.path != "/v1/events" {
			t.Errorf("the scenario never calls %s", o.pattern())
		}
	}
}

// operationFor finds the documented operation a request reaches: of the
// paths that match, the one with the fewest wildcards, then the longest (a
// path ending in / matches what is below it too).
func (d openAPI) operationFor(t *testing.T, method, path string) (operation, bool) {
	var best operation
	bestWild, found := 0, false
	for _, o := range d.operations(t) {
		if !strings.EqualFold(o.method, method) {
			continue
		}
		parts := pathParam.Split(o.path, -1)
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		expr := "^" + strings.Join(parts, `[^/]+`)
		if !strings.HasSuffix(o.path, "/") {
			expr += "$"
		}
		if !regexp.MustCompile(expr).MatchString(path) {
			continue
		}
		wild := len(pathParam.FindAllString(o.path, -1))
		if !found || wild < bestWild || wild == bestWild && len(o.path) > len(best.path) {
			best, bestWild, found = o, wild, true
		}
	}
	return best, found
}

// checkAnswer holds a live answer to the documented response: its media
// type, its body against the schema, and the ETag header when documented.
func (d openAPI) checkAnswer(t *testing.T, name string, res map[string]any, rec *httptest.ResponseRecorder) {
	if headers, ok := res["headers"].(map[string]any); ok {
		if _, ok := headers["ETag"]; ok && rec.Header().Get("ETag") == "" {
			t.Errorf("%s: the ETag documented for %d is missing", name, rec.Code)
		}
	}
	content, _ := res["content"].(map[string]any)
	if len(content) == 0 {
		if rec.Body.Len() > 0 {
			t.Errorf("%s: %d is documented without a body, got %q", name, rec.Code, rec.Body)
		}
		return
	}
	ct, _, _ := strings.Cut(rec.Header().Get("Content-Type"), ";")
	media, ok := content[strings.TrimSpace(ct)].(map[string]any)
	if !ok {
		t.Errorf("%s: answered %s, documented %q", name, ct, slices.Sorted(maps.Keys(content)))
		return
	}
	if ct != "application/json" {
		return
	}
	var body any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Errorf("%s: the body is not JSON: %v", name, err)
		return
	}
	for _, err := range d.validate(body, media["schema"], "") {
		t.Errorf("%s: the %d answer does not match its schema: %v\n%s", name, rec.Code, err, rec.Body)
	}
}

// docs/admin-api.md has a place for every route the admin API serves.
func TestAdminDocMentionsEveryRoute(t *testing.T) {
	b, err := os.ReadFile(adminDocPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, r := range testGateway(t).api.Routes() {
		if !strings.Contains(doc, "`"+r+"`") {
			t.Errorf("%s does not mention `%s`", adminDocPath, r)
		}
	}
}

// Each route's section of docs/admin-api.md names every status the OpenAPI
// document gives it, and no other, so the prose and the document agree.
func TestAdminDocStatusesAreTheDocuments(t *testing.T) {
	b, err := os.ReadFile(adminDocPath)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, s := range strings.Split(string(b), "\n### ")[1:] {
		heading, body, _ := strings.Cut(s, "\n")
		sections[strings.Trim(heading, "`")] = body
	}
	status := regexp.MustCompile("`([1-5][0-9][0-9])`")
	doc := loadOpenAPI(t)
	for _, o := range doc.operations(t) {
		body, ok := sections[o.pattern()]
		if !ok {
			if !strings.HasPrefix(o.path, "/debug/pprof/") {
				t.Errorf("%s has no section \"### `%s`\"", adminDocPath, o.pattern())
			}
			continue
		}
		if i := strings.Index(body, "\n## "); i >= 0 {
			body = body[:i]
		}
		named := map[string]bool{}
		for _, m := range status.FindAllStringSubmatch(body, -1) {
			named[m[1]] = true
		}
		documented, _ := o.op["responses"].(map[string]any)
		for code := range documented {
			if !named[code] {
				t.Errorf("%s: the section of %s does not name %s, which %s documents", adminDocPath, o.pattern(), code, openAPIPath)
			}
		}
		for code := range named {
			if _, ok := documented[code]; !ok {
				t.Errorf("%s: the section of %s names %s, which %s does not document for it", adminDocPath, o.pattern(), code, openAPIPath)
			}
		}
	}
}

var fence = regexp.MustCompile("(?s)```(json|console)\n(.*?)```")

// The JSON examples of docs/admin-api.md are answers the OpenAPI document
// allows: in a route's section, an answer of that route; elsewhere, an
// error.
func TestAdminDocExamplesMatchTheSchemas(t *testing.T) {
	b, err := os.ReadFile(adminDocPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := loadOpenAPI(t)
	ops := map[string]operation{}
	for _, o := range doc.operations(t) {
		ops[o.pattern()] = o
	}
	errorSchema := map[string]any{"$ref": "#/components/schemas/Error"}
	checked := 0
	for _, s := range strings.Split(string(b), "\n### ") {
		heading, body, _ := strings.Cut(s, "\n")
		schemas := []any{errorSchema}
		if o, ok := ops[strings.Trim(heading, "`")]; ok {
			schemas = answerSchemas(doc, o)
		}
		for _, m := range fence.FindAllStringSubmatch(body, -1) {
			text := m[2]
			if m[1] == "console" {
				i := strings.Index(text, "\n{")
				if i < 0 {
					continue
				}
				text = text[i+1:]
			}
			var v any
			if err := json.Unmarshal([]byte(text), &v); err != nil {
				t.Errorf("%s: an example under %q is not JSON: %v\n%s", adminDocPath, heading, err, text)
				continue
			}
			checked++
			if !slices.ContainsFunc(schemas, func(s any) bool { return len(doc.validate(v, s, "")) == 0 }) {
				t.Errorf("%s: an example under %q matches none of its documented answers:\n%s", adminDocPath, heading, text)
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked only %d examples of %s", checked, adminDocPath)
	}
}

// answerSchemas are the schemas of every answer an operation documents.
func answerSchemas(doc openAPI, o operation) []any {
	var out []any
	responses, _ := o.op["responses"].(map[string]any)
	for _, r := range responses {
		res, err := doc.resolve(r)
		if err != nil {
			continue
		}
		content, _ := res.(map[string]any)["content"].(map[string]any)
		for _, media := range content {
			if s, ok := media.(map[string]any)["schema"]; ok {
				out = append(out, s)
			}
		}
	}
	return out
}
