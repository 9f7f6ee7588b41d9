package engine

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// luaFetch is fetch(req) and fetch{method=, url=, headers=, body=}. A
// transport error raises a Lua error; the call remembers it so that, if the
// script does not catch it, Run returns it as a *FetchError.
func (v *vm) luaFetch(L *lua.LState) int {
	cs := v.active(L, "fetch")
	if v.cfg.transport == nil {
		L.RaiseError("fetch: no upstream transport configured")
	}
	var out *http.Request
	switch arg := L.Get(1).(type) {
	case *lua.LUserData:
		var err error
		if out, err = v.checkReq(L, 1).outgoing(cs.ctx); err != nil {
			L.RaiseError("fetch: %v", err)
		}
	case *lua.LTable:
		out = v.sideRequest(L, cs, arg)
	default:
		L.ArgError(1, "request or table expected")
	}
	cs.narrowEncoding(out)
	cs.budget.pause()
	resp, err := v.cfg.transport.RoundTrip(out)
	cs.budget.resume()
	if err != nil {
		msg := fmt.Sprintf("fetch %s %s://%s: %v", out.Method, out.URL.Scheme, out.URL.Host, err)
		cs.fetchErrs = append(cs.fetchErrs, fetchFailure{msg: msg, err: err})
		L.RaiseError("%s", msg)
	}
	if resp == nil {
		L.RaiseError("fetch: the transport returned no response")
	}
	L.Push(v.newRes(cs, resp, true))
	return 1
}

// sideRequest builds the request of fetch{...}: an absolute http(s) URL.
func (v *vm) sideRequest(L *lua.LState, cs *callState, t *lua.LTable) *http.Request {
	checkKeys(L, "fetch", t, "method", "url", "headers", "body")
	method := optString(L, t, "fetch", "method")
	if method == "" {
		method = http.MethodGet
	}
	if !validHeaderName(method) {
		L.RaiseError("fetch: invalid method %q", method)
	}
	raw := optString(L, t, "fetch", "url")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		L.RaiseError("fetch: url must be an absolute http or https URL, got %q", raw)
	}
	body := optString(L, t, "fetch", "body")
	var req *http.Request
	if body == "" {
		req, err = http.NewRequestWithContext(cs.ctx, method, u.String(), http.NoBody)
	} else {
		req, err = http.NewRequestWithContext(cs.ctx, method, u.String(), strings.NewReader(body))
	}
	if err != nil {
		L.RaiseError("fetch: %v", err)
	}
	req.Header = headerFromTable(L, t.RawGetString("headers"))
	return req
}
