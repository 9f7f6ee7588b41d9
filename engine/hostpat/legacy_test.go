package hostpat

import (
	"cmp"
	"slices"
	"strings"
)

// legacyTable is the matcher hostpat had before globs were compiled with
// gobwas/glob: '*' was the only wildcard, a glob was head*mid*tail matched
// by taking each inner segment at its leftmost occurrence, and globs were
// tried in rank order. It is kept for BenchmarkLookup1000, to measure the
// new matcher beside it in the same run, and handles names and '*' globs
// only.
type legacyTable struct {
	names map[nameKey]string
	globs []*legacyGlob
}

type legacyGlob struct {
	text, head, mid, tail string
	port                  uint16
	minLen                int
}

func newLegacyTable(patterns []string) *legacyTable {
	t := &legacyTable{names: map[nameKey]string{}}
	for _, s := range patterns {
		p := MustParse(s)
		if p.kind == kindName {
			t.names[nameKey{p.name, p.port}] = p.text
			continue
		}
		name := p.name
		first, last := strings.IndexByte(name, '*'), strings.LastIndexByte(name, '*')
		g := &legacyGlob{text: p.text, head: name[:first], tail: name[last+1:], port: p.port,
			minLen: len(name) - strings.Count(name, "*")}
		if first < last {
			g.mid = name[first+1 : last]
		}
		t.globs = append(t.globs, g)
	}
	slices.SortFunc(t.globs, func(a, b *legacyGlob) int {
		sa, sb := len(a.text)-strings.Count(a.text, "*"), len(b.text)-strings.Count(b.text, "*")
		if c := cmp.Compare(sb, sa); c != 0 {
			return c
		}
		return strings.Compare(a.text, b.text)
	})
	return t
}

func (t *legacyTable) lookup(host string, port int) string {
	s := prepare(host)
	p := uint16(port)
	if v, ok := t.names[nameKey{s.name, p}]; ok {
		return v
	}
	if v, ok := t.names[nameKey{s.name, 0}]; ok {
		return v
	}
	for _, g := range t.globs {
		if (g.port == 0 || g.port == p) && g.match(s.name) {
			return g.text
		}
	}
	return ""
}

func (g *legacyGlob) match(name string) bool {
	if len(name) < g.minLen || !strings.HasSuffix(name, g.tail) || !strings.HasPrefix(name, g.head) {
		return false
	}
	rest := name[len(g.head) : len(name)-len(g.tail)]
	for mid := g.mid; mid != ""; {
		seg := mid
		if i := strings.IndexByte(mid, '*'); i >= 0 {
			seg, mid = mid[:i], mid[i+1:]
		} else {
			mid = ""
		}
		j := strings.Index(rest, seg)
		if j < 0 {
			return false
		}
		rest = rest[j+len(seg):]
	}
	return true
}
