package engine

import (
	"encoding/json"
	"math"
	"reflect"

	lua "github.com/yuin/gopher-lua"
)

func (v *vm) newCtx(cs *callState) *lua.LUserData {
	ud := v.L.NewUserData()
	ud.Value = cs
	ud.Metatable = v.ctxMT
	return ud
}

// active returns the call in progress, or raises for an API function used
// outside one (in a chunk's top level).
func (v *vm) active(L *lua.LState, what string) *callState {
	if v.cur == nil {
		L.RaiseError("%s is only available while a handler runs", what)
	}
	return v.cur
}

func (v *vm) ctxIndex(L *lua.LState) int {
	cs, ok := L.CheckUserData(1).Value.(*callState)
	if !ok || cs.done {
		L.RaiseError("ctx used after its handler call ended")
	}
	switch L.CheckString(2) {
	case "sandbox_id":
		L.Push(lua.LString(cs.call.SandboxID))
	case "class":
		L.Push(lua.LString(cs.call.Class))
	case "handler":
		L.Push(lua.LString(cs.handler))
	case "request_id":
		L.Push(lua.LString(cs.call.RequestID))
	case "params":
		if cs.params == nil {
			cs.params = v.paramsValue(cs.call.Params)
		}
		L.Push(cs.params)
	case "labels":
		if cs.labels == nil {
			t := L.CreateTable(0, len(cs.call.Labels))
			for k, val := range cs.call.Labels {
				t.RawSetString(k, lua.LString(val))
			}
			cs.labels = v.freeze(t)
		}
		L.Push(cs.labels)
	default:
		L.Push(lua.LNil)
	}
	return 1
}

func (v *vm) ctxNewIndex(L *lua.LState) int {
	L.RaiseError("ctx.%s is read-only", L.CheckString(2))
	return 0
}

// paramsValue converts the binding's params into read-only Lua tables. A
// script always gets a table: no params is an empty one.
//
// Params are immutable once bound (a new binding brings a new map), and
// frozen tables cannot be changed by a script, so the converted form of a
// params object is cached per state.
func (v *vm) paramsValue(p any) lua.LValue {
	if p == nil {
		return v.freeze(v.L.NewTable())
	}
	m, ok := p.(map[string]any)
	if !ok {
		return v.toLua(p, true)
	}
	key := uintptr(reflect.ValueOf(m).UnsafePointer())
	if e, hit := v.params[key]; hit {
		return e.val
	}
	val := v.toLua(p, true)
	if v.params == nil || len(v.params) >= maxCachedParams {
		v.params = make(map[uintptr]paramsEntry)
	}
	v.params[key] = paramsEntry{src: m, val: val}
	return val
}

// maxCachedParams bounds the params cache of one state.
const maxCachedParams = 256

// toLua converts decoded JSON to Lua. With frozen, tables are read-only
// proxies and object members that are null are left out (as if absent);
// otherwise null is json.null.
func (v *vm) toLua(x any, frozen bool) lua.LValue {
	L := v.L
	switch x := x.(type) {
	case nil:
		return v.null
	case string:
		return lua.LString(x)
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case int:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return lua.LNumber(math.NaN())
		}
		return lua.LNumber(f)
	case map[string]any:
		t := L.CreateTable(0, len(x))
		for k, val := range x {
			if val == nil && frozen {
				continue
			}
			t.RawSetString(k, v.toLua(val, frozen))
		}
		return v.maybeFreeze(t, frozen)
	case []any:
		t := L.CreateTable(len(x), 0)
		for i, val := range x {
			t.RawSetInt(i+1, v.toLua(val, frozen))
		}
		return v.maybeFreeze(t, frozen)
	case map[string]string:
		t := L.CreateTable(0, len(x))
		for k, val := range x {
			t.RawSetString(k, lua.LString(val))
		}
		return v.maybeFreeze(t, frozen)
	case []string:
		t := L.CreateTable(len(x), 0)
		for i, val := range x {
			t.RawSetInt(i+1, lua.LString(val))
		}
		return v.maybeFreeze(t, frozen)
	default:
		// Any other type (json.RawMessage, structs): through its JSON form.
		b, err := json.Marshal(x)
		if err != nil {
			return v.null
		}
		var y any
		if err := json.Unmarshal(b, &y); err != nil {
			return v.null
		}
		return v.toLua(y, frozen)
	}
}

func (v *vm) maybeFreeze(t *lua.LTable, frozen bool) lua.LValue {
	if frozen {
		return v.freeze(t)
	}
	return t
}
