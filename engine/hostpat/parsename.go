package hostpat

import (
	"strconv"
	"strings"
)

// maxNameLen is the longest DNS name in text form (RFC 1035, no final dot).
const maxNameLen = 253

// labels reports an empty label in a name or glob: a leading dot, two
// dots in a row, or a dot at the end.
func labels(s string) string {
	switch {
	case s == "":
		return "empty host"
	case s[0] == '.':
		return "empty label (for subdomains write \"*" + s + "\")"
	case strings.Contains(s, "..") || strings.HasSuffix(s, "."):
		return "empty label"
	}
	return ""
}

// parseName parses a host name or glob.
func parseName(s string) (Pattern, string) {
	s = strings.TrimSuffix(s, ".")
	switch {
	case s == "":
		return Pattern{}, "empty host"
	case len(s) > maxNameLen:
		return Pattern{}, "host longer than 253 characters"
	}
	if reason := labels(s); reason != "" {
		return Pattern{}, reason
	}
	name := strings.ToLower(s)
	if hasGlobMeta(name) {
		text, m, reason := parseGlob(name)
		if reason == "" {
			// An escaped dot is a dot: `\.[0]` is ".[0]", an empty first
			// label, which the canonical text shows.
			reason = labels(text)
		}
		if reason != "" {
			return Pattern{}, reason
		}
		return Pattern{kind: kindGlob, name: text, glob: m}, ""
	}
	for _, r := range name {
		if !isNameChar(r) {
			return Pattern{}, "invalid character " + strconv.QuoteRune(r)
		}
	}
	return Pattern{kind: kindName, name: name}, ""
}
