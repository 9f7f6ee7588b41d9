package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// handlerBody wraps a Lua expression into a handler that answers with it.
func handlerBody(expr string) string {
	return "return function(req, ctx)\n  return response{body = " + expr + "}\nend\n"
}

func TestHeaderInjection(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `
return function(req, ctx)
  local token = secrets.get("sandboxes/" .. ctx.sandbox_id, "github_token")
  req:set_header("Authorization", "Bearer " .. token)
  req:add_header("X-Extra", "a")
  req:add_header("X-Extra", "b")
  req:del_header("X-Remove")
  return fetch(req)
end`})
	call := newCall("h", "GET", "https://api.github.com/user")
	call.Request.Header.Set("Authorization", "Bearer sandbox-supplied")
	call.Request.Header.Set("X-Remove", "1")
	res, err := env.Snapshot().Run(context.Background(), call)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !res.Fetched || res.Deny || body(t, res) != "upstream" {
		t.Fatalf("got %+v, want the fetched upstream response", res)
	}
	sent := env.transport.last(t)
	if got, want := sent.Header.Values("Authorization"), []string{"Bearer ghp_secret123"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Authorization: got %q, want %q", got, want)
	}
	if got := sent.Header.Values("X-Extra"); strings.Join(got, ",") != "a,b" {
		t.Errorf("X-Extra: got %q, want [a b]", got)
	}
	if got := sent.Header.Get("X-Remove"); got != "" {
		t.Errorf("X-Remove: got %q, want it removed", got)
	}
	if sent.URL != "https://api.github.com/user" {
		t.Errorf("URL: got %q, want https://api.github.com/user", sent.URL)
	}
	if got := call.Request.Header.Get("Authorization"); got != "Bearer sandbox-supplied" {
		t.Errorf("the caller's request was changed: Authorization %q", got)
	}
}

func TestSyntheticResponse(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `
return function(req, ctx)
  local res = response{status = 201, headers = {["X-One"] = "1", ["X-Two"] = {"a", "b"}}, body = "made here"}
  res:set_header("X-Set", "s")
  res:del_header("X-One")
  return res
end`})
	res, err := env.run(t, "h", "http://example.com/")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Fetched || res.Deny {
		t.Errorf("got Fetched=%v Deny=%v, want false false", res.Fetched, res.Deny)
	}
	if res.Response.StatusCode != 201 {
		t.Errorf("status: got %d, want 201", res.Response.StatusCode)
	}
	h := res.Response.Header
	if h.Get("X-One") != "" || h.Get("X-Set") != "s" || strings.Join(h.Values("X-Two"), ",") != "a,b" {
		t.Errorf("headers: got %v", h)
	}
	if got := body(t, res); got != "made here" {
		t.Errorf("body: got %q, want %q", got, "made here")
	}
	if len(env.transport.requests()) != 0 {
		t.Error("response{} contacted the upstream")
	}
}

func TestDeny(t *testing.T) {
	tests := []struct {
		name, src, reason string
		wantErr           bool
	}{
		{name: "default reason", src: "return deny()", reason: "handler"},
		{name: "own reason", src: `return deny("not_on_weekends")`, reason: "not_on_weekends"},
		{name: "invalid reason", src: `return deny("no; reason=x")`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": "return function(req, ctx) " + tc.src + " end"})
			res, err := env.run(t, "h", "http://example.com/")
			if tc.wantErr {
				var he *HandlerError
				if !errors.As(err, &he) {
					t.Fatalf("got %v, want a HandlerError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if !res.Deny || res.Reason != tc.reason || res.Response != nil {
				t.Errorf("got %+v, want a deny with reason %q", res, tc.reason)
			}
		})
	}
}

func TestParams(t *testing.T) {
	params := map[string]any{
		"list":   []any{"a", "b", "c"},
		"nested": map[string]any{"n": 2.0, "ok": true},
		"gone":   nil,
	}
	reads := []struct{ name, expr, want string }{
		{"index", `ctx.params.list[2]`, "b"},
		{"length", `tostring(#ctx.params.list)`, "3"},
		{"table.concat", `table.concat(ctx.params.list, ",")`, "a,b,c"},
		{"ipairs", `(function() local s = "" for i, v in ipairs(ctx.params.list) do s = s .. i .. v end return s end)()`, "1a2b3c"},
		{"pairs", `(function() local n = 0 for k in pairs(ctx.params.nested) do n = n + 1 end return tostring(n) end)()`, "2"},
		{"next", `tostring(next(ctx.params.list))`, "1"},
		{"unpack", `select(3, unpack(ctx.params.list))`, "c"},
		{"nested", `tostring(ctx.params.nested.n) .. tostring(ctx.params.nested.ok)`, "2true"},
		{"null is absent", `tostring(ctx.params.gone)`, "nil"},
		{"json", `json.encode(ctx.params.nested)`, `{"n":2,"ok":true}`},
		{"same table twice", `tostring(ctx.params == ctx.params)`, "true"},
	}
	for _, tc := range reads {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": handlerBody(tc.expr)})
			call := newCall("h", "GET", "http://example.com/")
			call.Params = params
			res, err := env.Snapshot().Run(context.Background(), call)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := body(t, res); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	writes := []string{
		`ctx.params = {}`,
		`ctx.params.x = 1`,
		`ctx.params.list[1] = "z"`,
		`ctx.params.list[4] = "z"`,
		`ctx.params.nested.n = 3`,
		`table.insert(ctx.params.list, "z")`,
		`table.remove(ctx.params.list)`,
		`table.sort(ctx.params.list)`,
		`rawset(ctx.params, "x", 1)`,
		`setmetatable(ctx.params, {})`,
		`ctx.sandbox_id = "other"`,
	}
	for _, stmt := range writes {
		t.Run("write "+stmt, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": "return function(req, ctx)\n" + stmt + "\nreturn deny()\nend"})
			call := newCall("h", "GET", "http://example.com/")
			call.Params = params
			_, err := env.Snapshot().Run(context.Background(), call)
			var he *HandlerError
			if !errors.As(err, &he) {
				t.Fatalf("got %v, want a HandlerError", err)
			}
		})
	}
	t.Run("no params is an empty table", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": handlerBody(`tostring(ctx.params.x) .. #ctx.params`)})
		if got := env.runBody(t, "h"); got != "nil0" {
			t.Errorf("got %q, want %q", got, "nil0")
		}
	})
}

func TestCtxFields(t *testing.T) {
	env := newEnv(t, map[string]string{"h": handlerBody(
		`json.encode{sandbox_id = ctx.sandbox_id, class = ctx.class, handler = ctx.handler, request_id = ctx.request_id, team = ctx.labels.team, missing = ctx.nothing}`)})
	call := newCall("h", "GET", "http://example.com/")
	call.SandboxID, call.Class, call.RequestID = "sb-42", "ci", "rid-7"
	call.Labels = map[string]string{"team": "infra"}
	res, err := env.Snapshot().Run(context.Background(), call)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := `{"class":"ci","handler":"h","request_id":"rid-7","sandbox_id":"sb-42","team":"infra"}`
	if got := body(t, res); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRequestFields(t *testing.T) {
	env := newEnv(t, map[string]string{"h": handlerBody(
		`json.encode{req.method, req.url, req.scheme, req.host, req.port, req.path, req.query, req:header("x-a"), req:headers()["x-a"]}`)})
	call := newCall("h", "POST", "https://API.Example.com.:8443/a%2Fb/c?x=1&y=2")
	call.Request.Header.Add("X-A", "1")
	call.Request.Header.Add("X-A", "2")
	res, err := env.Snapshot().Run(context.Background(), call)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := `["POST","https://API.Example.com.:8443/a%2Fb/c?x=1\u0026y=2","https","api.example.com",8443,"/a%2Fb/c","x=1\u0026y=2","1",["1","2"]]`
	got := body(t, res)
	var a, b any
	json.Unmarshal([]byte(got), &a)
	json.Unmarshal([]byte(want), &b)
	if ja, _ := json.Marshal(a); string(ja) != func() string { jb, _ := json.Marshal(b); return string(jb) }() {
		t.Errorf("got %s, want %s", got, want)
	}
	t.Run("default ports", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": handlerBody(`req.port .. " " .. req.path`)})
		for url, want := range map[string]string{"http://example.com": "80 /", "https://example.com/x": "443 /x"} {
			res, err := env.run(t, "h", url)
			if err != nil {
				t.Fatal(err)
			}
			if got := body(t, res); got != want {
				t.Errorf("%s: got %q, want %q", url, got, want)
			}
		}
	})
}

func TestRequestWrites(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `
return function(req, ctx)
  req.method = "PUT"
  req.path = "/v2/items%20x"
  req.query = "page=2"
  return fetch(req)
end`})
	if _, err := env.run(t, "h", "https://api.example.com/v1/items?page=1"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	sent := env.transport.last(t)
	if sent.Method != "PUT" || sent.URL != "https://api.example.com/v2/items%20x?page=2" {
		t.Errorf("got %s %s, want PUT https://api.example.com/v2/items%%20x?page=2", sent.Method, sent.URL)
	}
	for _, stmt := range []string{
		`req.host = "evil.example"`, `req.scheme = "http"`, `req.port = 80`, `req.url = "http://evil.example/"`,
		`req.other = 1`, `req.path = "no-slash"`, `req.path = "/a?b"`, `req.query = "a b"`, `req.query = "a\r\nX: y"`,
		`req.method = "GET /"`, `req:set_header("Host", "evil.example")`, `req:set_header("X", "a\r\nY: b")`,
		`req:set_header("Bad Name", "v")`,
	} {
		t.Run(stmt, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": "return function(req, ctx)\n" + stmt + "\nreturn fetch(req)\nend"})
			_, err := env.run(t, "h", "https://api.example.com/")
			var he *HandlerError
			if !errors.As(err, &he) {
				t.Fatalf("got %v, want a HandlerError", err)
			}
			if n := len(env.transport.requests()); n != 0 {
				t.Errorf("%d requests forwarded, want none", n)
			}
		})
	}
}

func TestHandlerErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"error()", `error("boom")`, "h.lua:2: boom"},
		{"runtime error", `local x = nil; return x.y`, "attempt to index"},
		{"returns nil", `return nil`, "handler returned nil"},
		{"returns a string", `return "ok"`, "handler returned string"},
		{"returns a table", `return {status = 200}`, "handler returned table"},
		{"returns a request", `return req`, "handler returned userdata"},
		{"missing secret", `return secrets.get("sandboxes/nobody", "github_token")`, `sandboxes/nobody`},
		{"missing field", `return secrets.get("sandboxes/sb1", "nope")`, `"nope"`},
		{"bad secret path", `return secrets.get("../etc", "x")`, `invalid secret path`},
		{"unknown response field", `return response{stauts = 200}`, "unknown field stauts"},
		{"bad status", `return response{status = 99}`, "status must be"},
		{"fetch url", `return fetch{url = "ftp://x/"}`, "absolute http or https URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": "return function(req, ctx)\n" + tc.src + "\nend"})
			res, err := env.run(t, "h", "https://api.example.com/")
			var he *HandlerError
			if !errors.As(err, &he) {
				t.Fatalf("got %v, want a HandlerError", err)
			}
			if he.Handler != "h" || !strings.Contains(he.Error(), tc.want) {
				t.Errorf("got %q, want it to contain %q", he.Error(), tc.want)
			}
			if res.Response != nil || res.Deny || res.Secrets != nil {
				t.Errorf("got result %+v with an error, want the zero Result", res)
			}
		})
	}
	t.Run("traceback in the error", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": "local function f() error('deep') end\nreturn function(req, ctx) f() end"})
		_, err := env.run(t, "h", "http://x/")
		if err == nil || !strings.Contains(err.Error(), "stack traceback") {
			t.Errorf("got %v, want a Lua traceback in the error", err)
		}
	})
	t.Run("unknown handler", func(t *testing.T) {
		env := newEnv(t, nil)
		_, err := env.run(t, "nope", "http://x/")
		if !errors.Is(err, ErrUnknownHandler) {
			t.Errorf("got %v, want ErrUnknownHandler", err)
		}
	})
	t.Run("backend failure", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx) return secrets.get("sandboxes/sb1", "github_token") end`})
		env.store.err = errors.New("vault sealed")
		_, err := env.run(t, "h", "http://x/")
		var he *HandlerError
		if !errors.As(err, &he) || !strings.Contains(err.Error(), "vault sealed") {
			t.Errorf("got %v, want a HandlerError naming the backend failure", err)
		}
	})
}

func TestSecretRedaction(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `
return function(req, ctx)
  local all = secrets.get("sandboxes/sb1")
  local tok = secrets.get("sandboxes/sb1", "github_token")
  log.warn("using " .. tok, {token = tok, nested = {v = all.npm_token}})
  error(string.format("token %s and %q and %s", tok, tok, all.openai_api_key))
end`})
	res, err := env.run(t, "h", "https://api.example.com/")
	var he *HandlerError
	if !errors.As(err, &he) {
		t.Fatalf("got %v, want a HandlerError", err)
	}
	for _, secret := range []string{"ghp_secret123", "npm_secret456", "sk-secret789"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q carries secret %q", err, secret)
		}
		if strings.Contains(env.logs.String(), secret) {
			t.Errorf("log %q carries secret %q", env.logs.String(), secret)
		}
	}
	if !strings.Contains(err.Error(), "token [redacted] and") {
		t.Errorf("got %q, want the secret replaced by [redacted]", err)
	}
	if res.Response != nil {
		t.Error("a failed call returned a response")
	}
}

func TestFetchErrors(t *testing.T) {
	refused := errors.New("address refused: 10.0.0.1 is private")
	t.Run("uncaught", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx) return fetch(req) end`})
		env.transport.fn = func(*http.Request) (*http.Response, error) { return nil, refused }
		_, err := env.run(t, "h", "http://internal.example/")
		var fe *FetchError
		if !errors.As(err, &fe) || fe.Handler != "h" {
			t.Fatalf("got %v, want a FetchError", err)
		}
		if fe.Err != refused || !errors.Is(err, refused) {
			t.Errorf("got %v, want the transport's own error", fe.Err)
		}
	})
	t.Run("re-raised", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  local ok, err = pcall(fetch, req)
  error(err)
end`})
		env.transport.fn = func(*http.Request) (*http.Response, error) { return nil, refused }
		_, err := env.run(t, "h", "http://internal.example/")
		if !errors.Is(err, refused) {
			t.Errorf("got %v, want a FetchError with the transport's error", err)
		}
	})
	t.Run("caught", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  local ok, err = pcall(fetch, req)
  if ok then return deny("unexpected") end
  return response{status = 503, body = "fallback: " .. tostring(err)}
end`})
		env.transport.fn = func(*http.Request) (*http.Response, error) { return nil, refused }
		res, err := env.run(t, "h", "http://internal.example/")
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := body(t, res); !strings.Contains(got, "fallback: ") || !strings.Contains(got, "address refused") {
			t.Errorf("got %q, want the fallback with the fetch error", got)
		}
	})
	t.Run("other error after a caught one", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  pcall(fetch, req)
  error("something else")
end`})
		env.transport.fn = func(*http.Request) (*http.Response, error) { return nil, refused }
		_, err := env.run(t, "h", "http://internal.example/")
		var he *HandlerError
		if !errors.As(err, &he) {
			t.Errorf("got %v, want a HandlerError", err)
		}
	})
}

func TestSideRequest(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `
return function(req, ctx)
  local tok = fetch{method = "POST", url = "https://auth.example.com/token?x=1",
                    headers = {["Content-Type"] = "application/json", ["X-L"] = {"1", "2"}},
                    body = json.encode{sandbox = ctx.sandbox_id}}
  local t = json.decode(tok:body())
  req:set_header("Authorization", "Bearer " .. t.token)
  return fetch(req)
end`})
	env.transport.fn = func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == "auth.example.com" {
			return textResponse(200, `{"token":"exchanged"}`), nil
		}
		return textResponse(200, "upstream"), nil
	}
	if _, err := env.run(t, "h", "https://api.example.com/"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	reqs := env.transport.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	side := reqs[0]
	if side.Method != "POST" || side.URL != "https://auth.example.com/token?x=1" || side.Body != `{"sandbox":"sb1"}` ||
		side.Header.Get("Content-Type") != "application/json" || len(side.Header.Values("X-L")) != 2 {
		t.Errorf("side request: got %+v", side)
	}
	if got := reqs[1].Header.Get("Authorization"); got != "Bearer exchanged" {
		t.Errorf("Authorization: got %q, want %q", got, "Bearer exchanged")
	}
}

// countingBody is an endless body that counts reads and closes.
type countingBody struct {
	reads, closes int
}

func (b *countingBody) Read(p []byte) (int, error) {
	b.reads++
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func (b *countingBody) Close() error { b.closes++; return nil }

func TestStreaming(t *testing.T) {
	t.Run("unread response streams", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx) return fetch(req) end`})
		huge := &countingBody{}
		env.transport.fn = func(*http.Request) (*http.Response, error) {
			res := textResponse(200, "")
			res.Body, res.ContentLength = huge, -1
			return res, nil
		}
		res, err := env.run(t, "h", "https://downloads.example.com/big.iso")
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if res.Response.Body != huge || huge.reads != 0 || huge.closes != 0 {
			t.Errorf("got body %T with %d reads, %d closes; want the upstream body untouched", res.Response.Body, huge.reads, huge.closes)
		}
	})
	t.Run("unread request body streams", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx) return fetch(req) end`})
		call := newCall("h", "POST", "https://api.example.com/upload")
		call.Request.Body = io.NopCloser(strings.NewReader("payload"))
		if _, err := env.Snapshot().Run(context.Background(), call); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := env.transport.last(t).Body; got != "payload" {
			t.Errorf("got body %q, want %q", got, "payload")
		}
	})
	t.Run("read response is buffered and upstream closed", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  local res = fetch(req)
  local b = res:body()
  res:set_header("X-Len", tostring(#b))
  return res
end`})
		up := &closeRecorder{Reader: strings.NewReader("hello")}
		env.transport.fn = func(*http.Request) (*http.Response, error) {
			res := textResponse(200, "")
			res.Body, res.ContentLength = up, -1
			return res, nil
		}
		res, err := env.run(t, "h", "https://api.example.com/")
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := body(t, res); got != "hello" || res.Response.ContentLength != 5 || res.Response.Header.Get("X-Len") != "5" {
			t.Errorf("got %q (length %d), want hello (5)", got, res.Response.ContentLength)
		}
		if !up.closed {
			t.Error("the upstream body was not closed")
		}
	})
	t.Run("responses not returned are closed", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  fetch{url = "https://audit.example.com/hook"}
  return deny()
end`})
		up := &closeRecorder{Reader: strings.NewReader("")}
		env.transport.fn = func(*http.Request) (*http.Response, error) {
			res := textResponse(200, "")
			res.Body = up
			return res, nil
		}
		if _, err := env.run(t, "h", "https://api.example.com/"); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !up.closed {
			t.Error("the side response body was not closed")
		}
	})
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestBodies(t *testing.T) {
	small := func(o *Options) { o.MaxBodyBytes = 10 }
	t.Run("req:body and set_body", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  req:set_body(string.upper(req:body()) .. "!")
  return fetch(req)
end`}, small)
		call := newCall("h", "POST", "https://api.example.com/")
		call.Request.Body = io.NopCloser(strings.NewReader("abc"))
		if _, err := env.Snapshot().Run(context.Background(), call); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := env.transport.last(t).Body; got != "ABC!" {
			t.Errorf("got %q, want %q", got, "ABC!")
		}
	})
	t.Run("too large request body", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx) req:body() return fetch(req) end`}, small)
		call := newCall("h", "POST", "https://api.example.com/")
		call.Request.Body = io.NopCloser(strings.NewReader("0123456789abcdef"))
		_, err := env.Snapshot().Run(context.Background(), call)
		if err == nil || !strings.Contains(err.Error(), "larger than 10 bytes") {
			t.Errorf("got %v, want a body limit error", err)
		}
	})
	t.Run("too large body caught still streams whole", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx) pcall(req.body, req) return fetch(req) end`}, small)
		call := newCall("h", "POST", "https://api.example.com/")
		call.Request.Body = io.NopCloser(strings.NewReader("0123456789abcdef"))
		if _, err := env.Snapshot().Run(context.Background(), call); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := env.transport.last(t).Body; got != "0123456789abcdef" {
			t.Errorf("got %q, want the whole body", got)
		}
	})
	t.Run("too large response body", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx) local r = fetch(req) r:body() return r end`}, small)
		env.transport.fn = func(*http.Request) (*http.Response, error) { return textResponse(200, "0123456789abcdef"), nil }
		_, err := env.run(t, "h", "https://api.example.com/")
		if err == nil || !strings.Contains(err.Error(), "larger than 10 bytes") {
			t.Errorf("got %v, want a body limit error", err)
		}
	})
}

func TestJSON(t *testing.T) {
	tests := []struct{ name, expr, want string }{
		{"array", `json.encode{1, "two", true}`, `[1,"two",true]`},
		{"object sorted", `json.encode{b = 1, a = {c = json.null}}`, `{"a":{"c":null},"b":1}`},
		{"empty table", `json.encode{}`, `{}`},
		{"sparse is object", `json.encode{[1] = "a", [3] = "c"}`, `{"1":"a","3":"c"}`},
		{"floats", `json.encode{1.5, 1e20, -0.25}`, `[1.5,1e+20,-0.25]`},
		{"escapes", `json.encode("a\"b\\c\n\1")`, `"a\"b\\c\n\u0001"`},
		{"round trip", `json.encode(json.decode('{"a":[1,2,{"b":null}],"c":"d"}'))`, `{"a":[1,2,{"b":null}],"c":"d"}`},
		{"null decodes to json.null", `tostring(json.decode("[null]")[1] == json.null)`, "true"},
		{"decode error", `select(2, pcall(json.decode, "{bad"))`, "json.decode"},
		{"function fails", `select(2, pcall(json.encode, {f = print}))`, "cannot encode function"},
		{"cycle fails", `(function() local t = {} t.t = t return select(2, pcall(json.encode, t)) end)()`, "nested deeper"},
		{"nan fails", `select(2, pcall(json.encode, 0/0))`, "cannot encode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": handlerBody(tc.expr)})
			if got := env.runBody(t, "h"); !strings.Contains(got, tc.want) {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestHostsMatch(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`hosts.match("*.github.com", "api.github.com")`, "true"},
		{`hosts.match("*.github.com", "github.com")`, "false"},
		{`hosts.match({"a.com", "b.com"}, "B.COM")`, "true"},
		{`hosts.match("example.com:443", "example.com:443")`, "true"},
		{`hosts.match("example.com:443", "example.com:80")`, "false"},
		{`hosts.match("example.com:443", "example.com")`, "false"},
		{`hosts.match("example.com", "example.com:8080")`, "true"},
		{`hosts.match("example.com:443", "example.com", 443)`, "true"},
		{`hosts.match("10.0.0.0/8", "10.1.2.3")`, "true"},
		{`hosts.match("::1", "[::1]:443")`, "true"},
		{`hosts.match("::1", "::1")`, "true"},
		{`select(2, pcall(hosts.match, "a..b", "x"))`, "hosts.match"},
	}
	env := newEnv(t, nil)
	for i, tc := range tests {
		name := "h" + string(rune('a'+i))
		if err := env.Put(name, []byte(handlerBody("tostring("+tc.expr+")"))); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if got := env.runBody(t, name); !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %s, want %s", tc.expr, got, tc.want)
		}
	}
}

func TestLog(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  log.info("hello", {n = 1, s = "x"})
  log.error("bad")
  print("printed", 2)
  return deny()
end`})
	if _, err := env.run(t, "h", "http://x/"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(env.logs.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d log lines, want 3: %s", len(lines), env.logs)
	}
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	for k, want := range map[string]any{"msg": "hello", "level": "INFO", "sandbox_id": "sb1", "handler": "h", "request_id": "req-1", "n": 1.0, "s": "x"} {
		if first[k] != want {
			t.Errorf("log field %s: got %v, want %v", k, first[k], want)
		}
	}
	if !strings.Contains(lines[1], `"level":"ERROR"`) || !strings.Contains(lines[2], `"msg":"printed\t2"`) {
		t.Errorf("got %s", env.logs)
	}
}

func TestSandboxGlobals(t *testing.T) {
	absent := []string{"os", "io", "debug", "package", "coroutine", "channel", "dofile", "loadfile",
		"require", "module", "getfenv", "setfenv", "newproxy", "string.dump"}
	for _, name := range absent {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": handlerBody("type(" + name + ")")})
			if got := env.runBody(t, "h"); got != "nil" {
				t.Errorf("type(%s): got %s, want nil", name, got)
			}
		})
	}
	tests := []struct{ name, expr, want string }{
		{"load text", `tostring(load("return 1 + 1")())`, "2"},
		{"loadstring", `loadstring("return 'x' .. 'y'")()`, "xy"},
		{"load reader", `(function() local parts = {"return ", "3"} local i = 0 return tostring(load(function() i = i + 1 return parts[i] end)()) end)()`, "3"},
		{"load bytecode refused", `select(2, load("\27Lua\81\0"))`, "binary chunks are not allowed"},
		{"library tables are read-only", `select(2, pcall(function() string.rep = nil end))`, "read-only"},
		{"string metatable hidden", `tostring(getmetatable(""))`, "false"},
		{"number metatable refused", `select(2, pcall(setmetatable, 1, {}))`, "table expected"},
		{"pairs over a library", `(function() local n = 0 for _ in pairs(math) do n = n + 1 end return tostring(n > 10) end)()`, "true"},
		{"string methods", `("abc"):upper() .. ("x"):rep(3)`, "ABCxxx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": handlerBody(tc.expr)})
			if got := env.runBody(t, "h"); !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGlobalsDoNotLeak(t *testing.T) {
	env := newEnv(t, map[string]string{
		"a": `return function(req, ctx) json = nil; shared = "from a"; _G.fetch = nil; return deny() end`,
		"b": handlerBody(`tostring(shared) .. " " .. type(json) .. " " .. type(fetch)`),
	})
	for range 3 { // the same pooled state runs both, one after the other
		if _, err := env.run(t, "a", "http://x/"); err != nil {
			t.Fatalf("a: %v", err)
		}
		if got := env.runBody(t, "b"); got != "nil table function" {
			t.Fatalf("b: got %q, want %q", got, "nil table function")
		}
	}
	if n := env.pool.created.Load(); n != 1 {
		t.Errorf("%d states created, want 1 (the test relies on reuse)", n)
	}
}

func TestStaleObjects(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `
local saved
return function(req, ctx)
  if saved then return response{body = saved:header("x") or "nil"} end
  saved = req
  return deny()
end`})
	env.run(t, "h", "http://x/")
	_, err := env.run(t, "h", "http://x/")
	if err == nil || !strings.Contains(err.Error(), "after its handler call ended") {
		t.Errorf("got %v, want a stale request error", err)
	}
}

func TestOutsideACall(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "top", `local t = secrets.get("x", "y") return function() end`)
	_, err := New(Options{Dir: dir})
	var le *LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "only available while a handler runs") {
		t.Errorf("got %v, want a LoadError about secrets.get at load time", err)
	}
}

// Params are cached per state by their map; bindings with other maps, even
// with equal content, must each see their own values.
func TestParamsCacheKeepsBindingsApart(t *testing.T) {
	env := newEnv(t, map[string]string{"p": `return function(req, ctx) return response{status=200, body=ctx.params.who} end`})
	a := map[string]any{"who": "alpha"}
	b := map[string]any{"who": "bravo"}
	for i := 0; i < 20; i++ {
		for _, tc := range []struct {
			params map[string]any
			want   string
		}{{a, "alpha"}, {b, "bravo"}, {map[string]any{"who": "fresh"}, "fresh"}} {
			call := newCall("p", "GET", "http://x/")
			call.Params = tc.params
			res, err := env.Snapshot().Run(context.Background(), call)
			if err != nil {
				t.Fatal(err)
			}
			if got := body(t, res); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		}
	}
}
