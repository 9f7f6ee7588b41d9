package policytest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/ratelimit"
	"github.com/sandgate/sandgate/secrets"
)

// runOpts are run()'s third argument.
type runOpts struct {
	params     any
	sandbox    string
	class      string
	labels     map[string]string
	secrets    map[string]map[string]string
	upstream   lua.LValue
	denyStatus int
}

// luaRun is run(handler, request [, opts]): it calls the handler as the
// proxy would and returns what the sandbox would receive and the requests
// that would have left the gateway.
func (f *fileRun) luaRun(L *lua.LState) int {
	if !f.running {
		L.RaiseError("run: call it inside a test(name, function() ... end)")
	}
	handler := L.CheckString(1)
	req := f.request(L, L.CheckTable(2))
	o := f.options(L, L.OptTable(3, L.NewTable()))
	snap := f.hs.eng.Snapshot()
	if !snap.Has(handler) {
		L.RaiseError("run: no handler %q in %s (there are: %s)", handler, f.hs.dir, strings.Join(snap.Names(), ", "))
	}
	o.params = emptyLists(snap, handler, o.params)
	if err := snap.CheckParams(handler, o.params); err != nil {
		L.RaiseError("run: %s: %v (a binding with these params would be refused)", handler, err)
	}
	f.runs++
	call := &engine.Call{Handler: handler, Params: o.params, Request: req, SandboxID: o.sandbox, Class: o.class,
		Labels: o.labels, RequestID: fmt.Sprintf("test-%d", f.runs), RateLimit: f.bucketsOf(o.sandbox)}
	rs := &runState{h: f.h, upstream: o.upstream, secrets: o.secrets, maxBody: f.maxBody()}
	f.hs.fake.cur = rs
	res, err := snap.Run(context.Background(), call)
	f.hs.fake.cur = nil
	if rs.missing != "" {
		L.RaiseError("run: %s fetched %s, but run's opts have no upstream: nothing leaves the machine", handler, rs.missing)
	}
	out := f.outcome(call, o, res, err)
	L.Push(out.table(L))
	sent := L.CreateTable(len(rs.sent), 0)
	for _, s := range rs.sent {
		sent.Append(sentTable(L, s))
	}
	L.Push(sent)
	return 2
}

func (f *fileRun) bucketsOf(sandbox string) *ratelimit.Buckets {
	b := f.buckets[sandbox]
	if b == nil {
		b = &ratelimit.Buckets{}
		if cfg := f.hs.cfg; cfg != nil {
			b.MaxKeys = cfg.Limits.MaxRatelimitKeys
		}
		f.buckets[sandbox] = b
	}
	return b
}

func (f *fileRun) maxBody() int64 {
	if cfg := f.hs.cfg; cfg != nil {
		return cfg.Limits.MaxBodyBytes.Bytes
	}
	return engine.DefaultMaxBodyBytes
}

// request builds the sandbox's request from {method=, url=, headers=, body=}.
func (f *fileRun) request(L *lua.LState, t *lua.LTable) *http.Request {
	onlyKeys(L, "run: request", t, "method", "url", "headers", "body")
	method := stringField(L, "run: request", t, "method", "GET")
	if t.RawGetString("url") == lua.LNil {
		L.RaiseError("run: request.url is required")
	}
	raw := stringField(L, "run: request", t, "url", "")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		L.RaiseError("run: request.url must be an absolute http or https URL, got %q", raw)
	}
	body := stringField(L, "run: request", t, "body", "")
	req, err := http.NewRequest(method, u.String(), strings.NewReader(body))
	if err != nil {
		L.RaiseError("run: request: %v", err)
	}
	if body == "" {
		req.Body = http.NoBody
	}
	req.Header = headerField(L, t.RawGetString("headers"))
	removeHopHeaders(req.Header)
	return req
}

// options reads run()'s opts, with their defaults.
func (f *fileRun) options(L *lua.LState, t *lua.LTable) runOpts {
	const what = "run: opts"
	onlyKeys(L, what, t, "params", "sandbox_id", "class", "labels", "secrets", "upstream")
	o := runOpts{
		sandbox:  stringField(L, what, t, "sandbox_id", "test"),
		class:    stringField(L, what, t, "class", "default"),
		labels:   map[string]string{},
		secrets:  map[string]map[string]string{},
		upstream: t.RawGetString("upstream"),
	}
	if p := t.RawGetString("params"); p != lua.LNil {
		v, err := f.h.GoValue(p)
		if err != nil {
			L.RaiseError("run: opts.params: %v", err)
		}
		if _, ok := v.(map[string]any); !ok {
			L.RaiseError("run: opts.params must be a table of name = value, as a binding's params are an object")
		}
		o.params = v
	}
	switch o.upstream.(type) {
	case *lua.LNilType, *lua.LFunction, *lua.LTable:
	default:
		L.RaiseError("run: opts.upstream must be a function(req) or a table {status=, headers=, body=}, got %s", o.upstream.Type())
	}
	stringMap(L, "run: opts.labels", t.RawGetString("labels"), func(k, v string) { o.labels[k] = v })
	f.readSecrets(L, t.RawGetString("secrets"), o.secrets)
	o.denyStatus = f.denyStatus(L, o.class)
	return o
}

// readSecrets reads {["path"] = {field = "value"}}.
func (f *fileRun) readSecrets(L *lua.LState, lv lua.LValue, into map[string]map[string]string) {
	if lv == lua.LNil {
		return
	}
	t, ok := lv.(*lua.LTable)
	if !ok {
		L.RaiseError("run: opts.secrets must be a table {[\"path\"] = {field = \"value\"}}, got %s", lv.Type())
	}
	t.ForEach(func(k, v lua.LValue) {
		path, err := secrets.CleanPath(k.String())
		if _, isStr := k.(lua.LString); !isStr || err != nil {
			L.RaiseError("run: opts.secrets: %s is not a secret path", k.String())
		}
		fields := map[string]string{}
		stringMap(L, "run: opts.secrets["+path+"]", v, func(name, val string) { fields[name] = val })
		into[path] = fields
	})
}

// denyStatus is the deny status of class: -config's, else 403.
func (f *fileRun) denyStatus(L *lua.LState, class string) int {
	cfg := f.hs.cfg
	if cfg == nil {
		return http.StatusForbidden
	}
	c, ok := cfg.Classes[class]
	if !ok {
		L.RaiseError("run: opts.class: no class %q in %s", class, cfg.File)
	}
	return c.DenyStatus
}

// hopHeaders are removed from the sandbox's request before a handler runs,
// as the proxy does.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopHeaders(h http.Header) {
	for _, v := range h.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			h.Del(strings.TrimSpace(name))
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
	for name := range h {
		if strings.HasPrefix(name, "Proxy-") {
			delete(h, name)
		}
	}
}

// emptyLists makes an empty Lua table given for a param declared as a list
// an empty list: {} reads as either, and JSON tells them apart.
func emptyLists(snap *engine.Snapshot, handler string, params any) any {
	m, ok := params.(map[string]any)
	declared, _ := snap.Params(handler)
	if !ok || declared == nil {
		return params
	}
	for name, p := range declared {
		if v, ok := m[name].(map[string]any); ok && len(v) == 0 && p.Type == engine.TypeList {
			m[name] = []any{}
		}
	}
	return m
}
