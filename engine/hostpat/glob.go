package hostpat

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gobwas/glob/syntax"
	"github.com/gobwas/glob/syntax/ast"
)

// maxAlternatives bounds the brace-free globs a pattern expands to, so that
// "{a,b}{c,d}{e,f}..." cannot make a pattern cost more than a list of hosts.
const maxAlternatives = 64

// hasGlobMeta reports whether s uses glob syntax (beyond plain characters).
func hasGlobMeta(s string) bool { return strings.ContainsAny(s, `*?[]{}\`) }

// parseGlob compiles the lowercase host part of a glob pattern; it returns
// the canonical text and the matcher, or a reason.
func parseGlob(s string) (string, *globMatcher, string) {
	if reason := checkBraces(s); reason != "" {
		return "", nil, reason
	}
	tree, err := parseTree(s)
	if err != nil {
		return "", nil, "bad glob: " + err.Error()
	}
	if reason := checkTree(tree); reason != "" {
		return "", nil, reason
	}
	seqs, ok := expand(tree.Children)
	if !ok {
		return "", nil, fmt.Sprintf("more than %d alternatives once every {...} is expanded", maxAlternatives)
	}
	m := &globMatcher{}
	for i, seq := range seqs {
		a, err := compileAlt(seq)
		if err != nil {
			return "", nil, "bad glob: " + err.Error()
		}
		m.add(i, a, weightOf(seq))
	}
	return render(tree.Children), m, ""
}

// parseTree runs gobwas/glob's parser, which panics on some input instead
// of failing.
func parseTree(s string) (tree *ast.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			tree, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return syntax.Parse(s)
}

// checkBraces finds what gobwas/glob's parser lets through: a '{' that is
// never closed, a '\\' that escapes nothing. A stray '}' or ',' is a
// character no host has, refused by checkTree.
func checkBraces(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i++; i == len(s) {
				return "'\\' at the end escapes nothing"
			}
		case '[':
			if j := strings.IndexByte(s[i:], ']'); j > 0 {
				i += j
			}
		case '{':
			depth++
		case '}':
			if depth > 0 {
				depth--
			}
		}
	}
	if depth > 0 {
		return "missing '}'"
	}
	return ""
}

// checkTree refuses characters no host name has, in text and in sets.
func checkTree(n *ast.Node) string {
	switch n.Kind {
	case ast.KindText:
		return checkSetChars(n.Value.(ast.Text).Text)
	case ast.KindList:
		return checkSetChars(n.Value.(ast.List).Chars)
	case ast.KindRange:
		r := n.Value.(ast.Range)
		return checkSetChars(string([]rune{r.Lo, r.Hi}))
	}
	for _, c := range n.Children {
		if reason := checkTree(c); reason != "" {
			return reason
		}
	}
	return ""
}

func checkSetChars(s string) string {
	for _, r := range s {
		if !isNameChar(r) || r == '*' {
			return "invalid character " + strconv.QuoteRune(r)
		}
	}
	return ""
}

// expand turns a sequence that may hold {...} groups into the brace-free
// sequences it stands for; false when there would be too many.
func expand(seq []*ast.Node) ([][]*ast.Node, bool) {
	out := [][]*ast.Node{nil}
	for _, n := range seq {
		if n.Kind != ast.KindAnyOf {
			for i := range out {
				out[i] = append(out[i], n)
			}
			continue
		}
		var alts [][]*ast.Node
		for _, alt := range n.Children {
			sub, ok := expand(alt.Children)
			if !ok {
				return nil, false
			}
			alts = append(alts, sub...)
		}
		if len(out)*len(alts) > maxAlternatives {
			return nil, false
		}
		next := make([][]*ast.Node, 0, len(out)*len(alts))
		for _, prefix := range out {
			for _, alt := range alts {
				next = append(next, append(append([]*ast.Node(nil), prefix...), alt...))
			}
		}
		out = next
	}
	return out, true
}

// literalRuns returns the text of each run of literal nodes in seq.
func literalRuns(seq []*ast.Node) []string {
	var runs []string
	inRun := false
	for _, n := range seq {
		if n.Kind != ast.KindText {
			inRun = false
			continue
		}
		t := n.Value.(ast.Text).Text
		if inRun {
			runs[len(runs)-1] += t
		} else {
			runs = append(runs, t)
		}
		inRun = true
	}
	return runs
}

// minLenOf is the fewest bytes a brace-free node matches.
func minLenOf(n *ast.Node) int {
	switch n.Kind {
	case ast.KindText:
		return len(n.Value.(ast.Text).Text)
	case ast.KindSingle, ast.KindList, ast.KindRange:
		return 1
	}
	return 0
}

// weightOf is the specificity of a brace-free sequence: its literal
// characters; '*', '?' and sets weigh nothing.
func weightOf(seq []*ast.Node) int {
	w := 0
	for _, n := range seq {
		if n.Kind == ast.KindText {
			w += len(n.Value.(ast.Text).Text)
		}
	}
	return w
}

// render writes a sequence back as glob text: the canonical form, with
// runs of '*' collapsed and special characters escaped.
func render(seq []*ast.Node) string {
	var b strings.Builder
	for i, n := range seq {
		switch n.Kind {
		case ast.KindText:
			for _, r := range n.Value.(ast.Text).Text {
				if strings.ContainsRune(`*?[]{},\`, r) {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
		case ast.KindAny, ast.KindSuper:
			if i == 0 || (seq[i-1].Kind != ast.KindAny && seq[i-1].Kind != ast.KindSuper) {
				b.WriteByte('*')
			}
		case ast.KindSingle:
			b.WriteByte('?')
		case ast.KindList:
			l := n.Value.(ast.List)
			// Each character once: a class is a set, and "[.\\.0]" would
			// otherwise come out as "[..0]", which reads as an empty label.
			chars := uniqueChars(l.Chars)
			if looksIP(chars) || (len(chars) > 1 && chars[1] == '-') {
				// "[\0]": else it reads as an address in brackets; "[\a-bc]":
				// else as a range.
				chars = `\` + chars
			}
			b.WriteString("[" + not(l.Not) + chars + "]")
		case ast.KindRange:
			r := n.Value.(ast.Range)
			b.WriteString("[" + not(r.Not) + string(r.Lo) + "-" + string(r.Hi) + "]")
		case ast.KindAnyOf:
			b.WriteByte('{')
			for j, alt := range n.Children {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(render(alt.Children))
			}
			b.WriteByte('}')
		}
	}
	return b.String()
}

// uniqueChars keeps the first of each character of s, in order.
func uniqueChars(s string) string {
	var b strings.Builder
	for i, r := range s {
		if !strings.ContainsRune(s[:i], r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func not(neg bool) string {
	if neg {
		return "!"
	}
	return ""
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

func commonSuffix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return a[len(a)-n:]
}
