package secrets

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPathLen is the longest path CleanPath accepts, in bytes.
const MaxPathLen = 1024

// CleanPath checks a path that a script passed to secrets.get and returns it
// unchanged when it is safe to append to a backend's prefix. It refuses
// rather than repairs: an empty or absolute path, a "." or ".." segment, an
// empty segment ("a//b", "a/"), a backslash, a control character, invalid
// UTF-8 and paths longer than MaxPathLen. The error is an *Error wrapping
// ErrInvalidPath.
func CleanPath(p string) (string, error) {
	if reason := pathProblem(p); reason != "" {
		return "", &Error{Op: "checking", Path: p, Err: fmt.Errorf("%w: %s", ErrInvalidPath, reason)}
	}
	return p, nil
}

func pathProblem(p string) string {
	switch {
	case p == "":
		return "empty"
	case len(p) > MaxPathLen:
		return "longer than 1024 bytes"
	case !utf8.ValidString(p):
		return "not valid UTF-8"
	case strings.HasPrefix(p, "/"):
		return "absolute"
	case strings.ContainsRune(p, '\\'):
		return "contains a backslash"
	case strings.ContainsFunc(p, unicode.IsControl):
		return "contains a control character"
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return "has an empty segment"
		case ".", "..":
			return "has a \"" + seg + "\" segment"
		}
	}
	return ""
}
