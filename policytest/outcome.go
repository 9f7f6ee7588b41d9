package policytest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/secrets"
)

// minScrubLen is the shortest secret value scrubbed from what the sandbox
// receives.
const minScrubLen = 6

// outcome is what the sandbox would receive.
type outcome struct {
	status   int
	header   http.Header
	body     string
	decision string // forward, response, deny or error
	reason   string
	err      string // the handler's error, for decision error
}

// outcome maps a handler's result as the proxy does: a deny is the class's
// deny status with the deny body; a handler that fails is 502
// handler_error; an uncaught fetch failure is 502 upstream_error.
func (f *fileRun) outcome(call *engine.Call, o runOpts, res engine.Result, err error) outcome {
	host := strings.ToLower(call.Request.URL.Hostname())
	var fe *engine.FetchError
	switch {
	case errors.As(err, &fe):
		return errorOutcome("upstream_error", fe.Error(), errorBody{Error: "upstream error", Host: host,
			Sandbox: call.SandboxID, RequestID: call.RequestID})
	case err != nil:
		return errorOutcome("handler_error", err.Error(), errorBody{
			Error: "handler " + call.Handler + " failed; see the gateway log for request " + call.RequestID,
			Host:  host, Sandbox: call.SandboxID, Handler: call.Handler, RequestID: call.RequestID})
	case res.Deny:
		out := jsonOutcome(o.denyStatus, denyBody{Error: "egress denied", Reason: res.Reason, Host: host, Sandbox: call.SandboxID})
		out.decision, out.reason = "deny", res.Reason
		out.header.Set("Sandgate-Decision", "deny; reason="+res.Reason)
		return out
	}
	out := outcome{status: res.Response.StatusCode, header: res.Response.Header.Clone(), decision: "response"}
	if res.Fetched {
		out.decision = "forward"
	}
	if out.header == nil {
		out.header = http.Header{}
	}
	removeHopHeaders(out.header)
	if res.Response.Body != nil {
		b, rerr := io.ReadAll(io.LimitReader(res.Response.Body, f.maxBody()))
		res.Response.Body.Close()
		if rerr != nil {
			return errorOutcome("upstream_error", rerr.Error(), errorBody{Error: "upstream error", Host: host,
				Sandbox: call.SandboxID, RequestID: call.RequestID})
		}
		out.body = string(b)
	}
	out.scrub(res.Secrets)
	return out
}

// denyBody and errorBody are the proxy's JSON answers, field for field.
type denyBody struct {
	Error   string `json:"error"`
	Reason  string `json:"reason"`
	Host    string `json:"host"`
	Sandbox string `json:"sandbox"`
}

type errorBody struct {
	Error     string `json:"error"`
	Reason    string `json:"reason,omitempty"`
	Host      string `json:"host,omitempty"`
	Sandbox   string `json:"sandbox,omitempty"`
	Handler   string `json:"handler,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

func errorOutcome(reason, detail string, body errorBody) outcome {
	body.Reason = reason
	out := jsonOutcome(http.StatusBadGateway, body)
	out.decision, out.reason, out.err = "error", reason, detail
	out.header.Set("Sandgate-Decision", "error; reason="+reason)
	return out
}

func jsonOutcome(status int, body any) outcome {
	b, _ := json.Marshal(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return outcome{status: status, header: h, body: string(b)}
}

// scrub replaces every secret the handler read (6 bytes or longer) in the
// response's header values and body by [redacted], as the proxy does.
func (o *outcome) scrub(values []string) {
	var long []string
	for _, v := range values {
		if len(v) >= minScrubLen {
			long = append(long, v)
		}
	}
	if len(long) == 0 {
		return
	}
	r := secrets.NewRedactor(long...)
	for _, vals := range o.header {
		for i, v := range vals {
			vals[i] = r.Redact(v)
		}
	}
	o.body = r.Redact(o.body)
}

// table is the outcome as the test sees it: res.status, res.decision,
// res.reason, res.error, res:header(name), res:headers(), res:body().
func (o outcome) table(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 8)
	t.RawSetString("status", lua.LNumber(o.status))
	t.RawSetString("decision", lua.LString(o.decision))
	if o.reason != "" {
		t.RawSetString("reason", lua.LString(o.reason))
	}
	if o.err != "" {
		t.RawSetString("error", lua.LString(o.err))
	}
	t.RawSetString("header", L.NewFunction(func(L *lua.LState) int {
		name := L.CheckString(methodArg(L, t))
		if v := o.header.Get(name); v != "" || len(o.header.Values(name)) > 0 {
			L.Push(lua.LString(v))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}))
	t.RawSetString("headers", L.NewFunction(func(L *lua.LState) int {
		L.Push(headersTable(L, o.header))
		return 1
	}))
	t.RawSetString("body", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(o.body))
		return 1
	}))
	return t
}

// methodArg is the index of a method's first argument: 2 when called as
// res:method(x), 1 as res.method(x).
func methodArg(L *lua.LState, self *lua.LTable) int {
	if L.Get(1) == self {
		return 2
	}
	return 1
}
