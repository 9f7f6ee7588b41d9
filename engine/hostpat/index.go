package hostpat

import (
	"maps"
	"slices"
)

// keyLen is the most bytes of a glob's literal tail (or head) that index by.
// Sixteen is enough to tell "*.team5.example.org" from "*.team6.example.org".
const keyLen = 16

// globIndex finds the globs that can match a host without trying them all.
// A glob whose literal tail (the text after its last wildcard, common to all
// of its alternatives) is not empty can only match a host that ends with
// that tail, so it is filed under the tail's last keyLen bytes and a lookup
// probes one bucket per key length in use. A glob without a tail is filed
// under its literal head the same way ("google.*"); the rest ("*", "*a*")
// are tried on every lookup. Each bucket is sorted best first (see
// compareGlob).
//
// Buckets are never changed in place, so a clone may share them: Clone
// copies the maps, and add and remove build new buckets.
type globIndex[V any] struct {
	byTail, byHead     map[string][]*Entry[V]
	tailLens, headLens [keyLen + 1]int // how many globs are filed under a key of each length
	loose              []*Entry[V]
}

// indexKey says where e is filed: under its tail (tail true), under its
// head, or loose (key "").
func indexKey[V any](e *Entry[V]) (key string, tail bool) {
	g := e.Pattern.glob
	switch {
	case g.tail != "":
		return g.tail[max(0, len(g.tail)-keyLen):], true
	case g.head != "":
		return g.head[:min(len(g.head), keyLen)], false
	}
	return "", false
}

func (x *globIndex[V]) add(e *Entry[V]) {
	key, tail := indexKey(e)
	switch {
	case key == "":
		x.loose = insertSorted(slices.Clone(x.loose), e, compareGlob)
	case tail:
		x.byTail = filed(x.byTail, key, e)
		x.tailLens[len(key)]++
	default:
		x.byHead = filed(x.byHead, key, e)
		x.headLens[len(key)]++
	}
}

func (x *globIndex[V]) remove(e *Entry[V]) {
	key, tail := indexKey(e)
	isE := func(y *Entry[V]) bool { return y == e }
	switch {
	case key == "":
		x.loose = slices.DeleteFunc(slices.Clone(x.loose), isE)
	case tail:
		unfiled(x.byTail, key, isE)
		x.tailLens[len(key)]--
	default:
		unfiled(x.byHead, key, isE)
		x.headLens[len(key)]--
	}
}

// unfiled removes the entries del picks from bucket key (a new bucket, or
// none once empty).
func unfiled[V any](m map[string][]*Entry[V], key string, del func(*Entry[V]) bool) {
	if b := slices.DeleteFunc(slices.Clone(m[key]), del); len(b) > 0 {
		m[key] = b
	} else {
		delete(m, key)
	}
}

// filed returns m with e added to bucket key (a new bucket; m is made if nil).
func filed[V any](m map[string][]*Entry[V], key string, e *Entry[V]) map[string][]*Entry[V] {
	if m == nil {
		m = make(map[string][]*Entry[V])
	}
	m[key] = insertSorted(slices.Clone(m[key]), e, compareGlob)
	return m
}

func (x *globIndex[V]) clone() globIndex[V] {
	c := *x
	c.byTail, c.byHead = maps.Clone(x.byTail), maps.Clone(x.byHead)
	return c
}

// lookup returns the best glob that matches s on port, or nil.
func (x *globIndex[V]) lookup(s *subject, port int) *Entry[V] {
	name := s.glob
	var best *Entry[V]
	for n := 1; n <= keyLen && n <= len(name); n++ {
		if x.tailLens[n] > 0 {
			best = better(best, x.byTail[name[len(name)-n:]], s, port)
		}
		if x.headLens[n] > 0 {
			best = better(best, x.byHead[name[:n]], s, port)
		}
	}
	return better(best, x.loose, s, port)
}

// better returns the first entry of the sorted bucket es that matches, if
// it ranks before best; else best.
func better[V any](best *Entry[V], es []*Entry[V], s *subject, port int) *Entry[V] {
	for _, e := range es {
		if best != nil && compareGlob(e, best) >= 0 {
			return best
		}
		if e.Pattern.match(s, port) {
			return e
		}
	}
	return best
}
