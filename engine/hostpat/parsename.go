package hostpat

import (
	"strconv"
	"strings"
)

// maxNameLen is the longest DNS name in text form (RFC 1035, no final dot).
const maxNameLen = 253

// parseName parses a host name or glob.
func parseName(s string) (Pattern, string) {
	s = strings.TrimSuffix(s, ".")
	switch {
	case s == "":
		return Pattern{}, "empty host"
	case len(s) > maxNameLen:
		return Pattern{}, "host longer than 253 characters"
	case s[0] == '.':
		return Pattern{}, "empty label (for subdomains write \"*" + s + "\")"
	case strings.Contains(s, "..") || strings.HasSuffix(s, "."):
		return Pattern{}, "empty label"
	}
	name := strings.ToLower(s)
	if hasGlobMeta(name) {
		text, m, reason := parseGlob(name)
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
