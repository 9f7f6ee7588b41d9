package luastr

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// rep is string.rep(s, n [, sep]). The length is computed, in floating point
// so that no count can overflow it, and checked before anything is built.
func (lim *limits) rep(L *lua.LState) int {
	s := L.CheckString(1)
	n := toInt(L.CheckNumber(2))
	sep := optString(L, 3, "")
	if n <= 0 || s == "" && sep == "" {
		L.Push(lua.LString(""))
		return 1
	}
	lim.checkFloat(L, float64(len(s))*float64(n)+float64(len(sep))*float64(n-1))
	if sep == "" {
		L.Push(lua.LString(strings.Repeat(s, n)))
		return 1
	}
	var b strings.Builder
	b.Grow(len(s)*n + len(sep)*(n-1))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s)
	}
	L.Push(lua.LString(b.String()))
	return 1
}
