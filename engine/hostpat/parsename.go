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
	case strings.Contains(s, ".."):
		return Pattern{}, "empty label"
	}
	for _, r := range s {
		if !isNameChar(r) {
			return Pattern{}, "invalid character " + strconv.QuoteRune(r)
		}
	}
	name := collapseStars(strings.ToLower(s))
	if !strings.Contains(name, "*") {
		return Pattern{kind: kindName, name: name}, ""
	}
	return newGlob(name), ""
}

// collapseStars replaces every run of '*' by one '*'.
func collapseStars(s string) string {
	for strings.Contains(s, "**") {
		s = strings.ReplaceAll(s, "**", "*")
	}
	return s
}

// newGlob splits a glob at its first and last '*' for matching.
func newGlob(name string) Pattern {
	first := strings.IndexByte(name, '*')
	last := strings.LastIndexByte(name, '*')
	p := Pattern{kind: kindGlob, name: name, head: name[:first], tail: name[last+1:]}
	if first < last {
		p.mid = name[first+1 : last]
	}
	p.minLen = len(name) - strings.Count(name, "*")
	return p
}
