package engine

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// resObj is a response in a script: from fetch (its body streams unless the
// script reads it) or from response{}.
type resObj struct {
	cs       *callState // nil once the call has ended
	resp     *http.Response
	body     string
	buffered bool
	fetched  bool
}

func (v *vm) newRes(cs *callState, resp *http.Response, fetched bool) *lua.LUserData {
	if resp.Header == nil {
		resp.Header = make(http.Header)
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	o := &resObj{cs: cs, resp: resp, fetched: fetched}
	cs.responses = append(cs.responses, o)
	ud := v.L.NewUserData()
	ud.Value = o
	ud.Metatable = v.resMT
	return ud
}

func (o *resObj) header() http.Header    { return o.resp.Header }
func (o *resObj) ownHeader() http.Header { return o.resp.Header }
func (o *resObj) hostLocked() bool       { return false }

// result is the response to send to the sandbox.
func (o *resObj) result() *http.Response {
	if o.buffered {
		o.resp.Body = io.NopCloser(strings.NewReader(o.body))
		o.resp.ContentLength, o.resp.TransferEncoding = int64(len(o.body)), nil
	}
	return o.resp
}

func (v *vm) checkRes(L *lua.LState, n int) *resObj {
	o, ok := L.CheckUserData(n).Value.(*resObj)
	if !ok {
		L.ArgError(n, "response expected")
	}
	if o.cs == nil {
		L.RaiseError("response used after its handler call ended")
	}
	return o
}

func (v *vm) resIndex(L *lua.LState) int {
	o := v.checkRes(L, 1)
	switch key := L.CheckString(2); key {
	case "status":
		L.Push(lua.LNumber(o.resp.StatusCode))
	default:
		L.Push(v.resMethods.RawGetString(key))
	}
	return 1
}

func (v *vm) resNewIndex(L *lua.LState) int {
	v.checkRes(L, 1)
	L.RaiseError("response.%s is read-only", L.CheckString(2))
	return 0
}

func (v *vm) resBody(L *lua.LState) int {
	o := v.checkRes(L, 1)
	if !o.buffered {
		orig := o.resp.Body
		o.cs.budget.pause()
		body, rest, err := readCapped(orig, o.resp.ContentLength, v.cfg.maxBody)
		o.cs.budget.resume()
		if rest != nil {
			o.resp.Body = rest
			L.RaiseError("res:body(): response body larger than %d bytes", v.cfg.maxBody)
		}
		if err != nil {
			L.RaiseError("res:body(): reading the response body: %v", err)
		}
		orig.Close()
		o.body, o.buffered = body, true
		o.resp.Body = http.NoBody // replaced by result(); closing it is harmless
	}
	L.Push(lua.LString(o.body))
	return 1
}

// luaResponse is response{status=, headers=, body=}.
func (v *vm) luaResponse(L *lua.LState) int {
	cs := v.active(L, "response")
	t := L.CheckTable(1)
	checkKeys(L, "response", t, "status", "headers", "body")
	status := 200
	if sv := t.RawGetString("status"); sv != lua.LNil {
		n, ok := sv.(lua.LNumber)
		if !ok || float64(n) != float64(int(n)) || n < 200 || n > 599 {
			L.RaiseError("response: status must be an integer from 200 to 599, got %s", sv.String())
		}
		status = int(n)
	}
	body := optString(L, t, "response", "body")
	resp := &http.Response{
		StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        headerFromTable(L, t.RawGetString("headers")),
		Body:          http.NoBody,
		ContentLength: int64(len(body)),
		Request:       cs.call.Request,
	}
	ud := v.newRes(cs, resp, false)
	o := ud.Value.(*resObj)
	o.body, o.buffered = body, true
	L.Push(ud)
	return 1
}

// checkKeys refuses fields a constructor does not know, to catch typos
// such as header= for headers=.
func checkKeys(L *lua.LState, what string, t *lua.LTable, keys ...string) {
	t.ForEach(func(k, _ lua.LValue) {
		ks, ok := k.(lua.LString)
		if ok {
			for _, want := range keys {
				if string(ks) == want {
					return
				}
			}
		}
		L.RaiseError("%s: unknown field %s (want %s)", what, k.String(), strings.Join(keys, ", "))
	})
}

func optString(L *lua.LState, t *lua.LTable, what, key string) string {
	switch s := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return ""
	case lua.LString:
		return string(s)
	default:
		L.RaiseError("%s: %s must be a string, got %s", what, key, s.Type())
		return ""
	}
}

// denyObj is what deny([reason]) returns.
type denyObj struct{ reason string }

var reasonRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func (v *vm) luaDeny(L *lua.LState) int {
	reason := L.OptString(1, "handler")
	if !reasonRE.MatchString(reason) {
		L.RaiseError("deny: invalid reason %q (want 1 to 64 of A-Z a-z 0-9 _ . -)", reason)
	}
	ud := L.NewUserData()
	ud.Value = &denyObj{reason: reason}
	ud.Metatable = v.denyMT
	L.Push(ud)
	return 1
}

func denyIndex(L *lua.LState) int {
	d, ok := L.CheckUserData(1).Value.(*denyObj)
	if ok && L.CheckString(2) == "reason" {
		L.Push(lua.LString(d.reason))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

func denyNewIndex(L *lua.LState) int {
	L.RaiseError("a deny is read-only")
	return 0
}

func nullIndex(L *lua.LState) int {
	L.RaiseError("attempt to index json.null")
	return 0
}

func nullNewIndex(L *lua.LState) int {
	L.RaiseError("attempt to index json.null")
	return 0
}

func nullString(L *lua.LState) int {
	L.Push(lua.LString("null"))
	return 1
}
