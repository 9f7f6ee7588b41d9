package policytest

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// maxDiffs is how many differences eq lists before it stops looking.
const maxDiffs = 10

// maxEqDepth bounds eq's recursion into nested tables (and stops cycles).
const maxEqDepth = 32

// luaEq is eq(got, want [, msg]): it compares deeply (tables by their
// contents, recursively) and raises an error listing where the two differ
// and showing both values.
func luaEq(L *lua.LState) int {
	got, want := L.CheckAny(1), L.CheckAny(2)
	var diffs []string
	compare(got, want, "", 0, &diffs)
	if len(diffs) == 0 {
		return 0
	}
	var b strings.Builder
	b.WriteString("eq: values differ")
	if msg := L.OptString(3, ""); msg != "" {
		b.WriteString(": " + msg)
	}
	for _, d := range diffs {
		b.WriteString("\n" + d)
	}
	b.WriteString("\ngot:  " + indentRest(render(got, 0), "      "))
	b.WriteString("\nwant: " + indentRest(render(want, 0), "      "))
	L.RaiseError("%s", b.String())
	return 0
}

// compare appends to diffs a line per place where got and want differ,
// up to maxDiffs.
func compare(got, want lua.LValue, path string, depth int, diffs *[]string) {
	if len(*diffs) >= maxDiffs {
		return
	}
	gt, gok := got.(*lua.LTable)
	wt, wok := want.(*lua.LTable)
	if !gok || !wok {
		if !sameValue(got, want) {
			*diffs = append(*diffs, fmt.Sprintf("  at %s: got %s, want %s", pathOrTop(path), inline(got), inline(want)))
		}
		return
	}
	if gt == wt || depth >= maxEqDepth {
		return
	}
	for _, k := range unionKeys(gt, wt) {
		compare(gt.RawGet(k), wt.RawGet(k), path+keyPath(k), depth+1, diffs)
	}
}

func sameValue(a, b lua.LValue) bool {
	if an, ok := a.(lua.LNumber); ok {
		bn, ok := b.(lua.LNumber)
		return ok && (an == bn || (math.IsNaN(float64(an)) && math.IsNaN(float64(bn))))
	}
	return a == b
}

func pathOrTop(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

// unionKeys returns the keys of a and b, in a stable order: numbers
// first, ascending, then the rest by their text.
func unionKeys(a, b *lua.LTable) []lua.LValue {
	seen := map[lua.LValue]bool{}
	var keys []lua.LValue
	for _, t := range []*lua.LTable{a, b} {
		t.ForEach(func(k, _ lua.LValue) {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		})
	}
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	return keys
}

func keyLess(a, b lua.LValue) bool {
	an, aNum := a.(lua.LNumber)
	bn, bNum := b.(lua.LNumber)
	switch {
	case aNum && bNum:
		return an < bn
	case aNum != bNum:
		return aNum
	}
	return a.String() < b.String()
}

// keyPath renders one step of a path: .name, [1] or ["odd key"].
func keyPath(k lua.LValue) string {
	switch k := k.(type) {
	case lua.LNumber:
		return "[" + k.String() + "]"
	case lua.LString:
		if isIdent(string(k)) {
			return "." + string(k)
		}
		return "[" + strconv.Quote(string(k)) + "]"
	}
	return "[" + k.String() + "]"
}

func isIdent(s string) bool {
	for i, c := range s {
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// maxRender and maxInline bound the text of a rendered value.
const (
	maxRender = 2000
	maxInline = 120
)

// render writes a value as Lua source, keys sorted; a table that does not
// fit on a line is written one field a line. depth is the nesting so far.
func render(v lua.LValue, depth int) string {
	return truncate(renderValue(v, depth, "", false), maxRender)
}

// inline is render on one line, shorter.
func inline(v lua.LValue) string {
	return truncate(renderValue(v, 0, "", true), maxInline)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + " ..."
	}
	return s
}

func renderValue(v lua.LValue, depth int, indent string, oneLine bool) string {
	switch x := v.(type) {
	case lua.LString:
		return strconv.Quote(string(x))
	case *lua.LTable:
		if depth >= maxEqDepth {
			return "{...}"
		}
		return renderTable(x, depth, indent, oneLine)
	case *lua.LNilType, lua.LBool, lua.LNumber:
		return x.String()
	}
	return v.Type().String()
}

func renderTable(t *lua.LTable, depth int, indent string, oneLine bool) string {
	keys := unionKeys(t, t)
	if len(keys) == 0 {
		return "{}"
	}
	seq := isSequence(t, keys)
	fields := make([]string, len(keys))
	for i, k := range keys {
		val := renderValue(t.RawGet(k), depth+1, indent+"  ", oneLine)
		if seq {
			fields[i] = val
		} else {
			fields[i] = fieldKey(k) + " = " + val
		}
	}
	line := "{" + strings.Join(fields, ", ") + "}"
	if oneLine || (len(line) <= 72 && !strings.Contains(line, "\n")) {
		return line
	}
	return "{\n" + indent + "  " + strings.Join(fields, ",\n"+indent+"  ") + ",\n" + indent + "}"
}

func isSequence(t *lua.LTable, keys []lua.LValue) bool {
	return t.Len() == len(keys)
}

func fieldKey(k lua.LValue) string {
	if s, ok := k.(lua.LString); ok && isIdent(string(s)) {
		return string(s)
	}
	if s, ok := k.(lua.LString); ok {
		return "[" + strconv.Quote(string(s)) + "]"
	}
	return "[" + k.String() + "]"
}

// indentRest indents every line of s but the first.
func indentRest(s, indent string) string {
	return strings.ReplaceAll(s, "\n", "\n"+indent)
}
