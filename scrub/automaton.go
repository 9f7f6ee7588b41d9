package scrub

import "slices"

// automaton is an Aho-Corasick automaton over the values, made into a DFA
// whose alphabet is byte classes: the bytes that occur in some value each
// get a class, every other byte shares one. A state id is premultiplied by
// stride (the number of classes), so one step is one load,
// trans[s+class[b]]; the root is 0. States where a value ends are numbered
// from matchFrom on, so the scan tests one comparison per byte.
type automaton struct {
	class     [256]uint8
	stride    int32
	trans     []int32
	matchFrom int32
	depth     []int32 // by state number (id / stride): length of the state's string
	mlen      []int32 // by state number: longest value that ends in the state, 0 for none
	maxLen    int
	pre       *prefilter
}

// trie is the automaton while it is built: unnumbered nodes, a dense
// child table (0: no child; the root is never a child) and node facts.
type trie struct {
	stride int32
	next   []int32 // node*stride + class
	depth  []int32
	term   []bool
}

func newAutomaton(values []string) *automaton {
	a := &automaton{}
	a.setClasses(values)
	t := a.trie(values)
	fail, order := t.links()
	a.number(t, fail, order)
	a.pre = newPrefilter(values)
	return a
}

// setClasses gives each byte used by a value its own class (0, 1, ...) and
// every unused byte the class after them.
func (a *automaton) setClasses(values []string) {
	var used [256]bool
	for _, v := range values {
		for i := 0; i < len(v); i++ {
			used[v[i]] = true
		}
		a.maxLen = max(a.maxLen, len(v))
	}
	n := 0
	for b := range used {
		if used[b] {
			a.class[b] = uint8(n)
			n++
		}
	}
	if n < 256 {
		for b := range used {
			if !used[b] {
				a.class[b] = uint8(n)
			}
		}
		n++
	}
	a.stride = int32(n)
}

func (a *automaton) trie(values []string) *trie {
	total := 1
	for _, v := range values {
		total += len(v)
	}
	t := &trie{stride: a.stride, next: make([]int32, 0, total*int(a.stride))}
	t.node(0)
	for _, v := range values {
		u := int32(0)
		for i := 0; i < len(v); i++ {
			c := int32(a.class[v[i]])
			if t.next[u*t.stride+c] == 0 {
				t.next[u*t.stride+c] = t.node(t.depth[u] + 1)
			}
			u = t.next[u*t.stride+c]
		}
		t.term[u] = true
	}
	return t
}

func (t *trie) node(depth int32) int32 {
	id := int32(len(t.depth))
	t.next = append(t.next, make([]int32, t.stride)...)
	t.depth = append(t.depth, depth)
	t.term = append(t.term, false)
	return id
}

// links computes failure links breadth first and completes every node's
// row into DFA transitions. order is the breadth-first order of nodes.
func (t *trie) links() (fail []int32, order []int32) {
	fail = make([]int32, len(t.depth))
	order = make([]int32, 0, len(t.depth))
	for c := int32(0); c < t.stride; c++ {
		if v := t.next[c]; v != 0 {
			order = append(order, v)
		}
	}
	for head := 0; head < len(order); head++ {
		u := order[head]
		row, frow := t.next[u*t.stride:(u+1)*t.stride], t.next[fail[u]*t.stride:]
		for c, v := range row {
			if v == 0 {
				row[c] = frow[c]
				continue
			}
			fail[v] = frow[c]
			order = append(order, v)
		}
	}
	return fail, order
}

// number renumbers nodes so that the root is 0 and match states come
// last, and writes the premultiplied transition table.
func (a *automaton) number(t *trie, fail, order []int32) {
	n := len(t.depth)
	mlen := make([]int32, n)
	for _, u := range order { // parents and failure targets come first
		if t.term[u] {
			mlen[u] = t.depth[u]
		} else {
			mlen[u] = mlen[fail[u]]
		}
	}
	ids := append([]int32{0}, order...)
	slices.SortStableFunc(ids, func(x, y int32) int { return b2i(mlen[x] > 0) - b2i(mlen[y] > 0) })
	newID := make([]int32, n)
	for i, u := range ids {
		newID[u] = int32(i)
	}
	a.trans = make([]int32, n*int(a.stride))
	a.depth, a.mlen = make([]int32, n), make([]int32, n)
	a.matchFrom = int32(n) * a.stride
	for i, u := range ids {
		if mlen[u] > 0 && a.matchFrom == int32(n)*a.stride {
			a.matchFrom = int32(i) * a.stride
		}
		a.depth[i], a.mlen[i] = t.depth[u], mlen[u]
		for c := int32(0); c < a.stride; c++ {
			a.trans[int32(i)*a.stride+c] = newID[t.next[u*t.stride+c]] * a.stride
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
