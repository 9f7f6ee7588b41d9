package luastr

import (
	lua "github.com/yuin/gopher-lua"
)

// Open installs the capped string functions into L: string.rep, format, find,
// match, gmatch (and its alias gfind), gsub, table.concat, and the global
// ConcatGlobal that compiled chunks call for `..`. Call it after the base,
// string and table libraries are open. maxString is the longest string, in
// bytes, these functions build; zero or less means DefaultMaxString.
//
// If the globals loadstring and load exist, Open replaces them too, with
// loaders that compile through Compile; otherwise a script could build its
// own uncapped `..` at run time (loadstring("return ... .. ...")).
//
// String methods (s:gsub(...)) resolve through the string metatable's __index.
// In gopher-lua that is the string library table itself, but Open patches the
// __index table too when it is a different one, so methods and the library
// always agree.
func Open(L *lua.LState, maxString int) {
	if maxString <= 0 {
		maxString = DefaultMaxString
	}
	lim := &limits{max: maxString}
	strFns := map[string]lua.LGFunction{
		"rep":    lim.rep,
		"format": lim.format,
		"find":   strFind,
		"match":  strMatch,
		"gmatch": strGmatch,
		"gfind":  strGmatch,
		"gsub":   lim.gsub,
	}
	for name, fn := range strFns {
		f := L.NewFunction(fn)
		for _, t := range stringTables(L) {
			t.RawSetString(name, f)
		}
	}
	libTable(L, lua.TabLibName).RawSetString("concat", L.NewFunction(lim.tableConcat))
	L.SetGlobal(ConcatGlobal, L.NewFunction(lim.concat))
	replaceGlobal(L, "loadstring", loadString)
	replaceGlobal(L, "load", lim.load)
}

// replaceGlobal swaps a base-library loader for one that compiles through
// Compile, but only where it exists: an engine that removed it keeps it out.
func replaceGlobal(L *lua.LState, name string, fn lua.LGFunction) {
	if _, ok := L.GetGlobal(name).(*lua.LFunction); ok {
		L.SetGlobal(name, L.NewFunction(fn))
	}
}

// libTable returns the global library table name, creating it if missing.
func libTable(L *lua.LState, name string) *lua.LTable {
	if t, ok := L.GetGlobal(name).(*lua.LTable); ok {
		return t
	}
	t := L.NewTable()
	L.SetGlobal(name, t)
	return t
}

// stringTables returns the global string table and, when it is another table,
// the one that string methods resolve through. A string metatable that is
// missing or whose __index is not a table is pointed at the global one.
func stringTables(L *lua.LState) []*lua.LTable {
	lib := libTable(L, lua.StringLibName)
	idx, ok := L.GetMetaField(lua.LString(""), "__index").(*lua.LTable)
	switch {
	case !ok:
		mt, isTable := L.GetMetatable(lua.LString("")).(*lua.LTable)
		if !isTable {
			mt = L.NewTable()
			L.SetMetatable(lua.LString(""), mt)
		}
		mt.RawSetString("__index", lib)
		return []*lua.LTable{lib}
	case idx == lib:
		return []*lua.LTable{lib}
	}
	return []*lua.LTable{lib, idx}
}
