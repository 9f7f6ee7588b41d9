package engine

import (
	"bytes"
	"errors"
	"strings"

	"github.com/yuin/gopher-lua/parse"
)

// syntaxPosition finds the line and column (1-based, in bytes) of the
// syntax error in src, for a script that did not compile. luastr.Compile
// reports the line only; the column comes from parsing src again with
// gopher-lua's parser, which costs nothing on the path that matters (a
// script that compiles is never parsed twice). ok is false when the parser
// finds no syntax error (the failure was elsewhere) or no column.
func syntaxPosition(src []byte, name string) (line, col int, ok bool) {
	_, err := parse.Parse(bytes.NewReader(src), name)
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return 0, 0, false
	}
	lines := strings.Split(string(src), "\n")
	if pe.Pos.Line == parse.EOF {
		last := len(lines)
		return last, len(lines[last-1]) + 1, true
	}
	if pe.Pos.Line < 1 || pe.Pos.Line > len(lines) || pe.Pos.Column < 1 {
		return 0, 0, false
	}
	return pe.Pos.Line, tokenStart(lines[pe.Pos.Line-1], pe.Token, pe.Pos.Column), true
}

// tokenStart turns the parser's column, that of the last byte of the
// offending token, into the column of its first byte when the token is
// found there on the line.
func tokenStart(line, tok string, end int) int {
	if tok == "" || end > len(line) {
		return end
	}
	if i := strings.LastIndex(line[:end], tok); i >= 0 && i+len(tok) >= end-1 {
		return i + 1
	}
	return end
}
