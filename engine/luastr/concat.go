package luastr

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// concat is what every rewritten `a .. b .. c` calls, with the operands in
// order. Like the VM's CONCAT it works from the right: a run of strings and
// numbers is joined in one allocation once its length is known to fit;
// anything else goes through the __concat metamethod of either operand.
func (lim *limits) concat(L *lua.LState) int {
	top := L.GetTop()
	if top == 2 && lim.concatPair(L) {
		return 1
	}
	rhs := L.Get(top)
	for i := top - 1; i >= 1; {
		lhs := L.Get(i)
		if !isStringy(lhs) || !isStringy(rhs) {
			rhs = concatMeta(L, lhs, rhs)
			i--
			continue
		}
		j := i
		for j > 1 && isStringy(L.Get(j-1)) {
			j--
		}
		rhs = lim.join(L, j, i, rhs)
		i = j - 1
	}
	L.Push(rhs)
	return 1
}

// concatPair is the common case of two strings, without the general loop.
func (lim *limits) concatPair(L *lua.LState) bool {
	a, ok := L.Get(1).(lua.LString)
	if !ok {
		return false
	}
	b, ok := L.Get(2).(lua.LString)
	if !ok {
		return false
	}
	lim.check(L, len(a)+len(b))
	L.Push(a + b)
	return true
}

// join concatenates the stack values j..i (strings or numbers) and rhs.
func (lim *limits) join(L *lua.LState, j, i int, rhs lua.LValue) lua.LValue {
	var small [16]string
	parts := small[:0]
	total := 0
	for k := j; k <= i; k++ {
		s, _ := stringOf(L.Get(k))
		parts = append(parts, s)
		total += len(s)
	}
	last, _ := stringOf(rhs)
	parts = append(parts, last)
	lim.check(L, total+len(last))
	var b strings.Builder
	b.Grow(total + len(last))
	for _, s := range parts {
		b.WriteString(s)
	}
	return lua.LString(b.String())
}

// concatMeta applies __concat (lhs's first, then rhs's) or raises Lua's error.
func concatMeta(L *lua.LState, lhs, rhs lua.LValue) lua.LValue {
	mm := L.GetMetaField(lhs, "__concat")
	if mm == lua.LNil {
		mm = L.GetMetaField(rhs, "__concat")
	}
	if mm == lua.LNil {
		bad := lhs
		if isStringy(lhs) {
			bad = rhs
		}
		L.RaiseError("attempt to concatenate a %s value", bad.Type().String())
	}
	L.Push(mm)
	L.Push(lhs)
	L.Push(rhs)
	L.Call(2, 1)
	v := L.Get(-1)
	L.Pop(1)
	return v
}

// tableConcat is table.concat(t [, sep [, i [, j]]]) with Lua 5.1's rules:
// j defaults to #t, every t[k] in i..j must be a string or number. The total
// length is known, and checked, before anything is allocated.
func (lim *limits) tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := optString(L, 2, "")
	i := optInt(L, 3, 1)
	j := optInt(L, 4, t.Len())
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	total := 0
	for k := i; k <= j; k++ {
		total += len(tableField(L, t, k))
		if k < j {
			total += len(sep)
		}
		lim.check(L, total)
	}
	var b strings.Builder
	b.Grow(total)
	for k := i; k <= j; k++ {
		b.WriteString(tableField(L, t, k))
		if k < j {
			b.WriteString(sep)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// tableField returns t[k] (raw) as a string or raises Lua 5.1's error.
func tableField(L *lua.LState, t *lua.LTable, k int) string {
	s, ok := stringOf(t.RawGetInt(k))
	if !ok {
		L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
	}
	return s
}
