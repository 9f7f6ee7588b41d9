package policytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/secrets"
)

// fakes stand in for the network and the secrets backend of a handler
// engine: every fetch goes to the upstream that the run in progress gave,
// and secrets.get reads only its secrets.
type fakes struct {
	logs *bytes.Buffer
	cur  *runState // the run() in progress; nil between runs
}

// runState is one run(): what its handler may reach and what it sent.
type runState struct {
	h        *engine.Harness
	upstream lua.LValue // a function, a table, or nil for none
	secrets  map[string]map[string]string
	maxBody  int64
	sent     []sentRequest
	missing  string // the first URL fetched without an upstream
}

// sentRequest is a request that would have left the gateway.
type sentRequest struct {
	method, url, host string
	header            http.Header
	body              string
}

var errNoUpstream = errors.New("no upstream in run's opts (nothing leaves the machine)")

// RoundTrip records the request and answers it from the upstream.
func (f *fakes) RoundTrip(req *http.Request) (*http.Response, error) {
	rs := f.cur
	if rs == nil {
		return nil, errors.New("policytest: fetch outside run()")
	}
	sent, err := record(req, rs.maxBody)
	if err != nil {
		return nil, err
	}
	rs.sent = append(rs.sent, sent)
	if rs.upstream == nil || rs.upstream == lua.LNil {
		if rs.missing == "" {
			rs.missing = req.Method + " " + sent.url
		}
		return nil, errNoUpstream
	}
	return rs.answer(sent)
}

func record(req *http.Request, maxBody int64) (sentRequest, error) {
	s := sentRequest{method: req.Method, url: req.URL.String(), host: strings.ToLower(req.URL.Hostname()), header: req.Header.Clone()}
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
		req.Body.Close()
		if err != nil {
			return s, fmt.Errorf("reading the request body: %w", err)
		}
		if int64(len(b)) > maxBody {
			return s, fmt.Errorf("request body larger than %d bytes", maxBody)
		}
		s.body = string(b)
	}
	return s, nil
}

// answer is the upstream's response to sent: a function is called with the
// request as a table; a table is response{}'s argument.
func (rs *runState) answer(sent sentRequest) (*http.Response, error) {
	L := rs.h.LState()
	ret := rs.upstream
	if fn, ok := rs.upstream.(*lua.LFunction); ok {
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, sentTable(L, sent)); err != nil {
			return nil, fmt.Errorf("upstream: %s", luaMessage(err))
		}
		ret = L.Get(-1)
		L.Pop(1)
	}
	if t, ok := ret.(*lua.LTable); ok {
		if err := L.CallByParam(lua.P{Fn: L.GetGlobal("response"), NRet: 1, Protect: true}, t); err != nil {
			return nil, fmt.Errorf("upstream: %s", luaMessage(err))
		}
		ret = L.Get(-1)
		L.Pop(1)
	}
	resp, ok := rs.h.Response(ret)
	if !ok {
		return nil, fmt.Errorf("upstream: want response{...} or {status=, headers=, body=}, got %s", ret.Type())
	}
	return resp, nil
}

// Get serves secrets.get from the run's secrets.
func (f *fakes) Get(_ context.Context, path string) (map[string]string, error) {
	if f.cur != nil {
		if fields, ok := f.cur.secrets[path]; ok {
			return maps.Clone(fields), nil
		}
	}
	return nil, secrets.ErrNotFound
}

// sentTable is a sent request as the test sees it: {method=, url=, host=,
// headers= (lowercase name -> list), body=}.
func sentTable(L *lua.LState, s sentRequest) *lua.LTable {
	t := L.CreateTable(0, 5)
	t.RawSetString("method", lua.LString(s.method))
	t.RawSetString("url", lua.LString(s.url))
	t.RawSetString("host", lua.LString(s.host))
	t.RawSetString("headers", headersTable(L, s.header))
	t.RawSetString("body", lua.LString(s.body))
	return t
}

// headersTable is a header as lowercase name -> list of values.
func headersTable(L *lua.LState, h http.Header) *lua.LTable {
	t := L.CreateTable(0, len(h))
	for name, vals := range h {
		list := L.CreateTable(len(vals), 0)
		for _, v := range vals {
			list.Append(lua.LString(v))
		}
		t.RawSetString(strings.ToLower(name), list)
	}
	return t
}

// luaMessage is a Lua error's message without the stack.
func luaMessage(err error) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		return ae.Object.String()
	}
	return err.Error()
}
