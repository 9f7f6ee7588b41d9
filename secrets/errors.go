package secrets

import (
	"errors"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Reasons a read can fail. Backends wrap one of them in an *Error so that
// callers can branch with errors.Is without knowing the backend.
var (
	// ErrInvalidPath reports a path refused by CleanPath.
	ErrInvalidPath = errors.New("invalid secret path")
	// ErrPermissionDenied reports a backend that refused the read.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrUnavailable reports a backend that could not answer: unreachable,
	// sealed, timed out.
	ErrUnavailable = errors.New("secrets backend unavailable")
)

// Error describes a failed operation on one secret path. Its message names
// the path and the reason and never carries a secret value or a token, so it
// may be logged; backends build Err from fixed phrases, not from what the
// backend answered.
type Error struct {
	Op   string // a gerund: "reading", "checking"
	Path string // the path as the script wrote it
	Err  error
}

func (e *Error) Error() string {
	return "secrets: " + e.Op + " " + quotePath(e.Path) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// maxShownPath bounds how much of a path an error message repeats.
const maxShownPath = 200

// quotePath returns p as it should appear in a message: as is when it is
// printable and unambiguous, quoted otherwise, and cut when long.
func quotePath(p string) string {
	if len(p) > maxShownPath {
		cut := maxShownPath
		for cut > 0 && !utf8.RuneStart(p[cut]) {
			cut--
		}
		return strconv.Quote(p[:cut]) + "..."
	}
	if p == "" || !utf8.ValidString(p) {
		return strconv.Quote(p)
	}
	for _, r := range p {
		if !unicode.IsPrint(r) || r == ' ' || r == '"' {
			return strconv.Quote(p)
		}
	}
	return p
}
