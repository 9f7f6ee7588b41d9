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

// secretsProtect is secrets.protect(value): value is treated as a secret
// for the rest of the call (redacted from its errors and log lines, and
// scrubbed from what the sandbox receives), and returned.
func (v *vm) secretsProtect(L *lua.LState) int {
	cs := v.active(L, "secrets.protect")
	val := L.CheckString(1)
	cs.addSecrets(val)
	L.Push(lua.LString(val))
	return 1
}

// ratelimitTake is ratelimit.take(key, rate_per_second, burst): one token
// from the sandbox's bucket key. Buckets belong to the sandbox; past its
// key cap, a new key raises an error.
func (v *vm) ratelimitTake(L *lua.LState) int {
	cs := v.active(L, "ratelimit.take")
	key := L.CheckString(1)
	perSecond := float64(L.CheckNumber(2))
	burst := L.CheckInt(3)
	if cs.call.RateLimit == nil {
		L.RaiseError("ratelimit.take: no rate limiter for this call")
	}
	ok, err := cs.call.RateLimit.Take(key, perSecond, burst)
	if err != nil {
		L.RaiseError("ratelimit.take(%q): %v", key, err)
	}
	L.Push(lua.LBool(ok))
	return 1
}
