package engine

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrNotFound is returned by Delete for a handler the engine does not hold.
var ErrNotFound = errors.New("engine: script not found")

// ErrInvalidName is returned (wrapped) by Put and Delete for a name that is not
// a valid handler name ([a-zA-Z0-9_][a-zA-Z0-9_-]*, not ending in _test,
// which names a policy test file).
var ErrInvalidName = errors.New("engine: invalid handler name")

// ScriptError is one script that failed to load: a compile error, a chunk
// that does not return a function (or declares params wrongly), an invalid
// file name, or a bound handler missing from the directory. Line is 0 when
// no line applies; Column is set for a syntax error only.
type ScriptError struct {
	Name   string // handler name ("" when the file name is invalid)
	File   string // file name inside the scripts directory
	Line   int
	Column int
	Msg    string
}

func (e ScriptError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadError lists every script that failed in New, Reload or Put; nothing was
// swapped in.
type LoadError struct {
	Errors []ScriptError
}

func (e *LoadError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, se := range e.Errors {
		msgs[i] = se.Error()
	}
	return "engine: loading scripts: " + strings.Join(msgs, "; ")
}

// posRE splits "name:12: msg", the form of luastr.Compile's errors and of
// Lua runtime errors, once the file name is trimmed.
var posRE = regexp.MustCompile(`^:(\d+):\s*([\s\S]*)$`)

// scriptError turns a compile or load error into a ScriptError with the line
// number split out of the message.
func scriptError(name, file string, err error) ScriptError {
	se := ScriptError{Name: name, File: file, Msg: strings.TrimSpace(err.Error())}
	rest, ok := strings.CutPrefix(se.Msg, file)
	if m := posRE.FindStringSubmatch(rest); ok && m != nil {
		se.Line, _ = strconv.Atoi(m[1])
		se.Msg = strings.TrimSpace(m[2])
	} else if ok && strings.HasPrefix(rest, ": ") {
		se.Msg = strings.TrimSpace(rest[2:])
	}
	return se
}

// BindingError is a script change refused because it would break bindings
// in use: each problem names the binding and what is wrong with its params
// under the new script ("sandbox sb1 outbound-by-host api.github.com:
// params.header: required"). Nothing was swapped in.
type BindingError struct {
	Problems []string
}

func (e *BindingError) Error() string {
	return "engine: the new scripts break bindings in use: " + strings.Join(e.Problems, "; ")
}
