package luastr

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// Compile parses Lua source, rewrites every `a .. b` into a call of the capped
// concatenation (see ConcatGlobal and Open) and compiles the result. name
// becomes the chunk's source name, so runtime errors read "name:line: ...".
// Errors read "name:line: message" and carry no Go or Lua stack.
func Compile(src []byte, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err != nil {
		return nil, parseError(err, name, src)
	}
	return compileChunk(rewriteChunk(chunk), name)
}

// compileChunk runs gopher-lua's compiler, which reports its own errors as
// *lua.CompileError and lets anything else panic.
func compileChunk(chunk []ast.Stmt, name string) (proto *lua.FunctionProto, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal compiler error: %v", name, r)
		}
	}()
	proto, err = lua.Compile(chunk, name)
	var ce *lua.CompileError
	if errors.As(err, &ce) {
		return nil, fmt.Errorf("%s:%d: %s", name, ce.Line, ce.Message)
	}
	return proto, err
}

// parseError rewrites gopher-lua's "name line:3(column:5) near 'x':   msg\n"
// into Lua's own "name:3: msg near 'x'". The parser loses the line at the end
// of input, so an error there is placed on the last line.
func parseError(err error, name string, src []byte) error {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %s", name, strings.TrimSpace(err.Error()))
	}
	msg := strings.TrimSpace(pe.Message)
	if pe.Pos.Line == parse.EOF {
		return fmt.Errorf("%s:%d: %s near <eof>", name, bytes.Count(src, []byte("\n"))+1, msg)
	}
	return fmt.Errorf("%s:%d: %s near '%s'", name, pe.Pos.Line, msg, shortToken(pe.Token))
}

// shortToken keeps an offending token readable: one line, at most 40 bytes.
func shortToken(tok string) string {
	if i := strings.IndexAny(tok, "\r\n"); i >= 0 {
		tok = tok[:i] + "..."
	}
	if len(tok) > 40 {
		tok = tok[:40] + "..."
	}
	return tok
}
