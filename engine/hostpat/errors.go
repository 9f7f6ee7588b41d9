package hostpat

import "fmt"

// ParseError reports a pattern that does not parse. Index is the pattern's
// position in the list given to ParseList or MatchAny, or -1 for Parse.
type ParseError struct {
	Pattern string
	Index   int
	Reason  string
}

// Error names the pattern (and its index in a list) and what is wrong with it.
func (e *ParseError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("hostpat: index %d: %q: %s", e.Index, e.Pattern, e.Reason)
	}
	return fmt.Sprintf("hostpat: %q: %s", e.Pattern, e.Reason)
}

// errorf builds the ParseError of a single pattern.
func errorf(pattern, format string, args ...any) error {
	return &ParseError{Pattern: pattern, Index: -1, Reason: fmt.Sprintf(format, args...)}
}
