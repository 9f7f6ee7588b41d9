package engine

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine/hostpat"
)

// reqObj is the script's req: a working copy of the sandbox's request. The
// header map is copied on first change; the body streams to the upstream
// untouched unless the script reads or replaces it.
type reqObj struct {
	cs       *callState // nil once the call has ended
	r        http.Request
	u        url.URL
	ownHdr   bool
	body     string
	buffered bool // body holds the whole body (req:body() or req:set_body())
	sent     bool // the original body stream went out with a fetch
}

func (v *vm) newReq(cs *callState) *lua.LUserData {
	o := &reqObj{cs: cs, r: *cs.call.Request}
	o.u = *o.r.URL
	o.r.URL = &o.u
	if o.r.Header == nil {
		o.r.Header = make(http.Header)
		o.ownHdr = true
	}
	cs.req = o
	ud := v.L.NewUserData()
	ud.Value = o
	ud.Metatable = v.reqMT
	return ud
}

func (o *reqObj) header() http.Header { return o.r.Header }
func (o *reqObj) hostLocked() bool    { return true }

func (o *reqObj) ownHeader() http.Header {
	if !o.ownHdr {
		o.r.Header = o.r.Header.Clone()
		o.ownHdr = true
	}
	return o.r.Header
}

func (o *reqObj) scheme() string {
	switch {
	case o.u.Scheme != "":
		return strings.ToLower(o.u.Scheme)
	case o.r.TLS != nil:
		return "https"
	default:
		return "http"
	}
}

func (o *reqObj) hostport() string {
	if o.u.Host != "" {
		return o.u.Host
	}
	return o.r.Host
}

// host is the lowercase host without port, brackets or trailing dot.
func (o *reqObj) host() string {
	u := url.URL{Host: o.hostport()}
	return hostpat.Normalize(u.Hostname())
}

// port is the effective port: the one written, else 80 or 443.
func (o *reqObj) port() int {
	u := url.URL{Host: o.hostport()}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	if o.scheme() == "https" {
		return 443
	}
	return 80
}

func (o *reqObj) path() string {
	if p := o.u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

func (o *reqObj) absURL() *url.URL {
	u := o.u
	u.Scheme, u.Host, u.Opaque, u.User = o.scheme(), o.hostport(), "", nil
	return &u
}

func (v *vm) checkReq(L *lua.LState, n int) *reqObj {
	o, ok := L.CheckUserData(n).Value.(*reqObj)
	if !ok {
		L.ArgError(n, "request expected")
	}
	if o.cs == nil {
		L.RaiseError("request used after its handler call ended")
	}
	return o
}

func (v *vm) reqIndex(L *lua.LState) int {
	o := v.checkReq(L, 1)
	switch key := L.CheckString(2); key {
	case "method":
		L.Push(lua.LString(o.r.Method))
	case "url":
		L.Push(lua.LString(o.absURL().String()))
	case "scheme":
		L.Push(lua.LString(o.scheme()))
	case "host":
		L.Push(lua.LString(o.host()))
	case "port":
		L.Push(lua.LNumber(o.port()))
	case "path":
		L.Push(lua.LString(o.path()))
	case "query":
		L.Push(lua.LString(o.u.RawQuery))
	default:
		L.Push(v.reqMethods.RawGetString(key))
	}
	return 1
}

func (v *vm) reqNewIndex(L *lua.LState) int {
	o := v.checkReq(L, 1)
	key := L.CheckString(2)
	switch key {
	case "method":
		m := L.CheckString(3)
		if !validHeaderName(m) {
			L.RaiseError("invalid method %q", m)
		}
		o.r.Method = m
	case "path":
		o.setPath(L, L.CheckString(3))
	case "query":
		q := L.CheckString(3)
		if !validURIPart(q) {
			L.RaiseError("invalid req.query %q (control characters, spaces or '#')", q)
		}
		o.u.RawQuery, o.u.ForceQuery = q, false
	case "url", "scheme", "host", "port":
		L.RaiseError("req.%s is read-only", key)
	default:
		L.RaiseError("req has no writable field %q", key)
	}
	return 0
}

// setPath takes an escaped path, as req.path reads.
func (o *reqObj) setPath(L *lua.LState, p string) {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#") || !validURIPart(p) {
		L.RaiseError("invalid req.path %q (must start with '/'; no '?', '#', spaces or control characters)", p)
	}
	dec, err := url.PathUnescape(p)
	if err != nil {
		L.RaiseError("invalid req.path %q: %v", p, err)
	}
	o.u.Path, o.u.RawPath = dec, p
}

// validURIPart refuses what would break the request line.
func validURIPart(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

func (v *vm) reqBody(L *lua.LState) int {
	o := v.checkReq(L, 1)
	if !o.buffered {
		if o.sent {
			L.RaiseError("req:body(): the body was already sent by fetch")
		}
		cs := o.cs
		cs.budget.pause()
		body, rest, err := readCapped(o.r.Body, o.r.ContentLength, v.cfg.maxBody)
		cs.budget.resume()
		if rest != nil {
			o.r.Body = rest
			L.RaiseError("req:body(): request body larger than %d bytes", v.cfg.maxBody)
		}
		if err != nil {
			L.RaiseError("req:body(): reading the request body: %v", err)
		}
		o.body, o.buffered = body, true
	}
	L.Push(lua.LString(o.body))
	return 1
}

func (v *vm) reqSetBody(L *lua.LState) int {
	o := v.checkReq(L, 1)
	o.body, o.buffered, o.sent = L.CheckString(2), true, false
	return 0
}

var errBodySent = errors.New("the request body was already sent by an earlier fetch; read it with req:body() first to send it twice")

// outgoing is the request fetch(req) sends: absolute URL, the caller's
// context, and the body as the script left it.
func (o *reqObj) outgoing(ctx context.Context) (*http.Request, error) {
	out := o.r.WithContext(ctx)
	out.URL = o.absURL()
	out.RequestURI, out.TLS, out.Close = "", nil, false
	switch {
	case o.buffered && o.body == "":
		out.Body, out.ContentLength, out.GetBody = http.NoBody, 0, nil
		out.TransferEncoding = nil
	case o.buffered:
		body := o.body
		out.Body = io.NopCloser(strings.NewReader(body))
		out.ContentLength, out.TransferEncoding = int64(len(body)), nil
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	case out.Body != nil && out.Body != http.NoBody:
		if o.sent {
			return nil, errBodySent
		}
		o.sent = true
	}
	return out, nil
}
