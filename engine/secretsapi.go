package engine

import (
	"errors"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/secrets"
)

// secretsGet is secrets.get(path [, field]). Errors name the path and field,
// never a value; every value handed to the script is remembered so the
// call's errors and log lines can redact it.
func (v *vm) secretsGet(L *lua.LState) int {
	cs := v.active(L, "secrets.get")
	raw := L.CheckString(1)
	field, hasField := "", L.GetTop() >= 2 && L.Get(2) != lua.LNil
	if hasField {
		field = L.CheckString(2)
	}
	if v.cfg.secrets == nil {
		L.RaiseError("secrets.get(%q): no secrets backend configured", raw)
	}
	path, err := secrets.CleanPath(raw)
	if err != nil {
		L.RaiseError("secrets.get: %v", err)
	}
	cs.budget.pause()
	fields, err := v.cfg.secrets.Get(cs.ctx, path)
	cs.budget.resume()
	switch {
	case errors.Is(err, secrets.ErrNotFound):
		L.RaiseError("secrets.get(%q): secret not found", path)
	case err != nil:
		L.RaiseError("secrets.get(%q): %s", path, cs.redact(err.Error()))
	}
	if hasField {
		val, ok := fields[field]
		if !ok {
			L.RaiseError("secrets.get(%q, %q): no such field", path, field)
		}
		cs.addSecrets(val)
		L.Push(lua.LString(val))
		return 1
	}
	t := L.CreateTable(0, len(fields))
	for k, val := range fields {
		cs.addSecrets(val)
		t.RawSetString(k, lua.LString(val))
	}
	L.Push(t)
	return 1
}
