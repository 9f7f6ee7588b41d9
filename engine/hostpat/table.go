package hostpat

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// Entry is a pattern bound to a value.
type Entry[V any] struct {
	Pattern Pattern
	Value   V
}

// nameKey indexes exact host names; port 0 is the portless pattern.
type nameKey struct {
	name string
	port uint16
}

// addrKey indexes single IP addresses; port 0 is the portless pattern.
type addrKey struct {
	addr netip.Addr
	port uint16
}

// Table binds patterns to values and finds the most specific pattern for a
// host (see Lookup). The zero Table is empty and ready to use.
//
// Lookup may run concurrently with other Lookups, but not with Set or
// Delete. To change a table in use, Clone it, change the clone and swap it in
// (an atomic.Pointer), so that a request keeps the table it started with.
type Table[V any] struct {
	all   map[string]*Entry[V] // by canonical text
	names map[nameKey]*Entry[V]
	addrs map[addrKey]*Entry[V]
	cidrs []*Entry[V] // in lookup order, see compareCIDR
	globs globIndex[V]
}

// Set binds p to v, replacing the value of a pattern with the same canonical
// text. Setting the zero Pattern does nothing.
func (t *Table[V]) Set(p Pattern, v V) {
	if p.kind == kindNone {
		return
	}
	t.remove(p.text)
	e := &Entry[V]{Pattern: p, Value: v}
	t.init()
	t.all[p.text] = e
	switch p.kind {
	case kindName:
		t.names[nameKey{p.name, p.port}] = e
	case kindIP:
		t.addrs[addrKey{p.addr, p.port}] = e
	case kindCIDR:
		t.cidrs = insertSorted(t.cidrs, e, compareCIDR)
	case kindGlob:
		t.globs.add(e)
	}
}

// Delete removes the pattern whose canonical text is that of pattern (so
// "Example.COM" deletes "example.com") and reports whether it was there.
func (t *Table[V]) Delete(pattern string) bool {
	p, err := Parse(pattern)
	if err != nil {
		return false
	}
	return t.remove(p.text)
}

// remove deletes the entry with canonical text text, if any.
func (t *Table[V]) remove(text string) bool {
	e, ok := t.all[text]
	if !ok {
		return false
	}
	delete(t.all, text)
	p := e.Pattern
	switch p.kind {
	case kindName:
		delete(t.names, nameKey{p.name, p.port})
	case kindIP:
		delete(t.addrs, addrKey{p.addr, p.port})
	case kindCIDR:
		t.cidrs = slices.DeleteFunc(t.cidrs, func(x *Entry[V]) bool { return x == e })
	case kindGlob:
		t.globs.remove(e)
	}
	return true
}

// init makes the maps of a zero Table.
func (t *Table[V]) init() {
	if t.all == nil {
		t.all = make(map[string]*Entry[V])
		t.names = make(map[nameKey]*Entry[V])
		t.addrs = make(map[addrKey]*Entry[V])
	}
}

// Len returns the number of patterns in t.
func (t *Table[V]) Len() int { return len(t.all) }

// Entries returns a copy of every entry, sorted by pattern text.
func (t *Table[V]) Entries() []Entry[V] {
	out := make([]Entry[V], 0, len(t.all))
	for _, e := range t.all {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b Entry[V]) int {
		return strings.Compare(a.Pattern.text, b.Pattern.text)
	})
	return out
}

// Clone returns a copy of t that can be changed without changing t. Values
// are copied as by assignment.
func (t *Table[V]) Clone() *Table[V] {
	// Entries are never changed once made, so the copies may share them.
	return &Table[V]{
		all:   maps.Clone(t.all),
		names: maps.Clone(t.names),
		addrs: maps.Clone(t.addrs),
		cidrs: slices.Clone(t.cidrs),
		globs: t.globs.clone(),
	}
}

// insertSorted inserts e into s, kept sorted by cmp.
func insertSorted[V any](s []*Entry[V], e *Entry[V], cmp func(a, b *Entry[V]) int) []*Entry[V] {
	i, _ := slices.BinarySearchFunc(s, e, cmp)
	return slices.Insert(s, i, e)
}
