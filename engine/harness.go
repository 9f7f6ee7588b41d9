package engine

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine/luastr"
)

// Harness is a sandboxed Lua state with the handler API, for Lua code that
// runs outside a request: the policy test files of `sandgate test`. The API
// works as in a handler (response{}, deny(), json, hosts, log, string
// limits); fetch and secrets.get reach what Options give, and nothing when
// they are nil. Callers add their own globals with SetGlobal before Load.
//
// A Harness is not safe for concurrent use.
type Harness struct {
	v  *vm
	cs *callState
}

// harnessBudget is the Lua time of the call a Harness keeps open: in effect
// none; callers bound their own calls with a context (see LState).
const harnessBudget = 100 * 365 * 24 * time.Hour

// NewHarness returns a Harness configured like an Engine with opts (Dir is
// not used). Close releases it.
func NewHarness(opts Options) *Harness {
	cfg := newConfig(opts)
	h := &Harness{v: newVM(cfg)}
	h.cs = &callState{ctx: context.Background(), handler: "test",
		call: &Call{Handler: "test", SandboxID: "test", Class: "default", RequestID: "test"}}
	h.cs.budget.start(harnessBudget, func(error) {})
	h.v.cur = h.cs
	return h
}

// LState is the Lua state, for calling the functions a file declared. Set
// its context (SetContext) to bound a call.
func (h *Harness) LState() *lua.LState { return h.v.L }

// SetGlobal makes value a global of every file loaded afterwards.
func (h *Harness) SetGlobal(name string, value lua.LValue) { h.v.globals.RawSetString(name, value) }

// Load compiles src as a file named name and runs it in an environment of
// its own. A file that does not compile or fails as it runs gives a
// *ScriptError with the line (and for a syntax error the column).
func (h *Harness) Load(src []byte, name string) error {
	proto, err := luastr.Compile(src, name)
	if err != nil {
		se := scriptError(strings.TrimSuffix(name, ".lua"), name, err)
		if line, col, ok := syntaxPosition(src, name); ok && line == se.Line {
			se.Column = col
		}
		return &se
	}
	if _, err := h.v.evalChunk(proto); err != nil {
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			err = errors.New(ae.Object.String())
		}
		se := scriptError(strings.TrimSuffix(name, ".lua"), name, err)
		return &se
	}
	return nil
}

// Response returns the response that lv, a response{} or a fetch result
// made in this Harness, stands for: a copy, with its own header and body,
// so it can be handed out more than once. ok is false for anything else.
func (h *Harness) Response(lv lua.LValue) (resp *http.Response, ok bool) {
	ud, isUD := lv.(*lua.LUserData)
	if !isUD {
		return nil, false
	}
	o, isRes := ud.Value.(*resObj)
	if !isRes || o.cs != h.cs {
		return nil, false
	}
	body := o.body
	if !o.buffered {
		b, err := io.ReadAll(io.LimitReader(o.resp.Body, h.v.cfg.maxBody))
		if err != nil {
			return nil, false
		}
		o.body, o.buffered, body = string(b), true, string(b)
	}
	c := *o.resp
	c.Header = o.resp.Header.Clone()
	c.Body = io.NopCloser(strings.NewReader(body))
	c.ContentLength = int64(len(body))
	c.Request = nil
	return &c, true
}

// ToLua converts decoded JSON (maps, lists, strings, float64s, bools, nil
// as json.null) to plain Lua values.
func (h *Harness) ToLua(x any) lua.LValue { return h.v.toLua(x, false) }

// GoValue converts a Lua value to decoded JSON: a table whose keys are
// 1..n is a list, any other a map with string keys; functions and other
// userdata are refused.
func (h *Harness) GoValue(lv lua.LValue) (any, error) {
	if lv == h.v.null {
		return nil, nil
	}
	if t, ok := lv.(*lua.LTable); ok {
		if target := frozenTarget(t); target != nil {
			lv = target
		}
	}
	return goValue(lv, 0)
}

// Close releases the Lua state.
func (h *Harness) Close() {
	h.cs.budget.timer.Stop()
	h.v.cur = nil
	h.v.close()
}
