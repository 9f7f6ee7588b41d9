package luastr

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{name: "syntax", src: "x = = 1", want: "bad.lua:1: syntax error near '='"},
		{name: "at end of input", src: "local x = 1\nif x then", want: "bad.lua:2: syntax error near <eof>"},
		{name: "unterminated string", src: "\n\nlocal x = 'abc", want: "bad.lua:3: unterminated string near <eof>"},
		{name: "bad token", src: "return 'a' .. 'b'\n@", want: "bad.lua:2: Invalid token near '@'"},
		{name: "compiler error", src: "goto nowhere", want: "no visible label 'nowhere'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.src), "bad.lua")
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if got := err.Error(); !strings.Contains(got, tc.want) || strings.ContainsAny(got, "\n") {
				t.Fatalf("got %q, want one line containing %q", got, tc.want)
			}
		})
	}
}

// TestCompileWithoutConcat checks that a chunk without `..` does not need
// Open: it runs on a bare LState.
func TestCompileWithoutConcat(t *testing.T) {
	proto, err := Compile([]byte(`return 1 + 2, "x"`), "plain")
	if err != nil {
		t.Fatal(err)
	}
	L := lua.NewState()
	defer L.Close()
	got, err := call(L, L.NewFunctionFromProto(proto))
	if want := `3, "x"`; err != nil || got != want {
		t.Fatalf("got %q (err %v), want %q", got, err, want)
	}
}

// TestCompileRewritesEveryConcat compiles chunks with `..` in every kind of
// position and checks that no CONCAT instruction is left.
func TestCompileRewritesEveryConcat(t *testing.T) {
	src := `
local a = "a" .. x
b = {a .. 1, [a .. 2] = a .. 3}
f(a .. 4)
local function g(p) return p .. 5 end
function t.m(self) while a .. 6 do end repeat until a .. 7 end
for i = a .. 8, 9 do end
for k in a .. 10 do end
if a .. 11 then elseif a .. 12 then else a = a .. 13 end
return -(a .. 14), not (a .. 15), #(a .. 16), a .. 17 == a, a .. 18 + 1, a .. 19 and a
`
	proto, err := Compile([]byte(src), "all")
	if err != nil {
		t.Fatal(err)
	}
	if n := countConcat(proto); n != 0 {
		t.Fatalf("got %d CONCAT instructions, want 0", n)
	}
}

func countConcat(p *lua.FunctionProto) int {
	n := 0
	for _, inst := range p.Code {
		if int(inst>>26) == lua.OP_CONCAT {
			n++
		}
	}
	for _, child := range p.FunctionPrototypes {
		n += countConcat(child)
	}
	return n
}
