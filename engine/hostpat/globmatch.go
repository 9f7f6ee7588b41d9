package hostpat

import (
	"fmt"
	"strings"

	"github.com/gobwas/glob"
	"github.com/gobwas/glob/syntax/ast"
)

// globMatcher is the compiled form of a glob. gobwas/glob compiles each
// brace-free alternative (its own "{...}" matcher gives wrong answers when an
// alternative holds a '*', and its prefix-and-suffix matcher accepts a name
// shorter than the two: "c*c" matched "c"); the length check of each
// alternative rules the latter out.
//
// head, tail, lead and minLen hold for every alternative, so most names
// are rejected before any alternative is tried, and a Table files a glob
// under its tail or its lead (see globIndex).
type globMatcher struct {
	alts    []globAlt
	head    string // common literal prefix of all alternatives
	tail    string // common literal suffix of all alternatives
	lead    string // common literal text at byte leadOff of every name that matches
	leadOff int
	minLen  int // shortest name any alternative can match, in bytes
	weight  int // literal characters of the lightest alternative
}

// globAlt is one brace-free alternative. head and tail are its literal
// ends; lead is its first literal run when only one-character wildcards
// ('?', sets) come before it, at leadOff (so head when leadOff is 0);
// inner is its longest literal run between wildcards, which a name must
// contain somewhere.
type globAlt struct {
	g                 glob.Glob
	head, tail, inner string
	lead              string
	leadOff           int
	minLen            int
}

// compileAlt compiles a brace-free sequence with gobwas/glob, with no
// separators: '*' crosses dots.
func compileAlt(seq []*ast.Node) (a globAlt, err error) {
	text := render(seq)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	a.g, err = glob.Compile(text)
	if err != nil {
		return a, err
	}
	runs := literalRuns(seq)
	switch first, last := seq[0].Kind == ast.KindText, seq[len(seq)-1].Kind == ast.KindText; {
	case len(runs) == 1 && first && last: // all literal
		a.head, a.tail = runs[0], runs[0]
	default:
		if first {
			a.head, runs = runs[0], runs[1:]
		}
		if last {
			a.tail, runs = runs[len(runs)-1], runs[:len(runs)-1]
		}
		for _, r := range runs {
			if len(r) > len(a.inner) {
				a.inner = r
			}
		}
	}
	a.lead, a.leadOff = leadOf(seq)
	for _, n := range seq {
		a.minLen += minLenOf(n)
	}
	return a, nil
}

// leadOf returns the first literal run of seq and its byte offset in any
// name that matches, when only one-character wildcards come before it.
func leadOf(seq []*ast.Node) (string, int) {
	off := 0
	for i, n := range seq {
		switch n.Kind {
		case ast.KindSingle, ast.KindList, ast.KindRange:
			off++
		case ast.KindText:
			lead := ""
			for _, t := range seq[i:] {
				if t.Kind != ast.KindText {
					break
				}
				lead += t.Value.(ast.Text).Text
			}
			return lead, off
		default:
			return "", 0
		}
	}
	return "", 0
}

// add merges alternative number i into the matcher's common prefilters.
func (m *globMatcher) add(i int, a globAlt, weight int) {
	m.alts = append(m.alts, a)
	if i == 0 {
		m.head, m.tail, m.minLen, m.weight = a.head, a.tail, a.minLen, weight
		m.lead, m.leadOff = a.lead, a.leadOff
		return
	}
	m.head = commonPrefix(m.head, a.head)
	m.tail = commonSuffix(m.tail, a.tail)
	m.minLen = min(m.minLen, a.minLen)
	m.weight = min(m.weight, weight)
	if m.lead = commonPrefix(m.lead, a.lead); a.leadOff != m.leadOff || m.lead == "" {
		m.lead, m.leadOff = "", 0
	}
}

// match reports whether name matches one alternative.
func (m *globMatcher) match(name string) bool {
	if len(name) < m.minLen || !strings.HasSuffix(name, m.tail) || !strings.HasPrefix(name, m.head) ||
		!hasAt(name, m.lead, m.leadOff) {
		return false
	}
	for i := range m.alts {
		a := &m.alts[i]
		if len(name) >= a.minLen && strings.HasSuffix(name, a.tail) && strings.HasPrefix(name, a.head) &&
			strings.Contains(name, a.inner) && a.g.Match(name) {
			return true
		}
	}
	return false
}

// hasAt reports whether name holds s at byte off; an empty s is anywhere.
func hasAt(name, s string, off int) bool {
	return s == "" || len(name) >= off+len(s) && name[off:off+len(s)] == s
}
