package hostpat

import (
	"maps"
	"slices"
)

// keyLen is the most bytes of a glob's literal tail (or lead) that index by.
// Sixteen is enough to tell "*.team5.example.org" from "*.team6.example.org".
const keyLen = 16

// globIndex finds the globs that can match a host without trying them all.
// A glob whose literal tail (the text after its last wildcard, common to all
// of its alternatives) is not empty can only match a host that ends with
// that tail, so it can be filed under the tail's last keyLen bytes; one
// whose literal lead (its first literal text, after nothing or only
// one-character wildcards: "google.*", "?-5.*") is not empty, under the
// lead's first keyLen bytes at its offset. A glob that has both is filed
// where the bucket is smaller, so that globs sharing a tail ("*.example.org")
// spread out by their leads. A lookup probes one bucket per shape of key in
// use; globs with neither ("*", "*a*") are tried on every lookup. Each
// bucket is sorted best first (see compareGlob).
//
// Buckets are never changed in place, so a clone may share them: clone
// copies the maps, and add and remove build new buckets.
//
// The filing choice depends on the order globs were added; what a lookup
// finds does not, since every bucket a glob could be in is one its hosts
// probe.
type globIndex[V any] struct {
	shapes []*shapeBuckets[V] // in a fixed order, see compareShape
	filed  map[*Entry[V]]bucketKey
	loose  []*Entry[V]
}

// shapeBuckets are the buckets of one key shape, by key.
type shapeBuckets[V any] struct {
	shape   keyShape
	buckets map[string][]*Entry[V]
}

// keyShape is where a key is taken from a host: its last n bytes (tail),
// or n bytes from byte off.
type keyShape struct {
	tail   bool
	off, n int
}

type bucketKey struct {
	keyShape
	text string
}

// key is the key of shape k in name, false when name is too short.
func (k keyShape) key(name string) (string, bool) {
	switch {
	case k.tail && len(name) >= k.n:
		return name[len(name)-k.n:], true
	case !k.tail && len(name) >= k.off+k.n:
		return name[k.off : k.off+k.n], true
	}
	return "", false
}

func compareShape(a, b keyShape) int {
	switch {
	case a.tail != b.tail:
		if a.tail {
			return -1
		}
		return 1
	case a.off != b.off:
		return a.off - b.off
	}
	return a.n - b.n
}

// options lists where e may be filed.
func options[V any](e *Entry[V]) []bucketKey {
	g := e.Pattern.glob
	var out []bucketKey
	if g.tail != "" {
		text := g.tail[max(0, len(g.tail)-keyLen):]
		out = append(out, bucketKey{keyShape{tail: true, n: len(text)}, text})
	}
	if g.lead != "" {
		text := g.lead[:min(len(g.lead), keyLen)]
		out = append(out, bucketKey{keyShape{off: g.leadOff, n: len(text)}, text})
	}
	return out
}

func (x *globIndex[V]) add(e *Entry[V]) {
	opts := options(e)
	if len(opts) == 0 {
		x.loose = insertSorted(slices.Clone(x.loose), e, compareGlob)
		return
	}
	k := opts[0]
	for _, o := range opts[1:] {
		if len(x.bucket(o)) < len(x.bucket(k)) {
			k = o
		}
	}
	sb := x.shape(k.keyShape, true)
	sb.buckets[k.text] = insertSorted(slices.Clone(sb.buckets[k.text]), e, compareGlob)
	if x.filed == nil {
		x.filed = map[*Entry[V]]bucketKey{}
	}
	x.filed[e] = k
}

func (x *globIndex[V]) remove(e *Entry[V]) {
	isE := func(y *Entry[V]) bool { return y == e }
	k, ok := x.filed[e]
	if !ok {
		x.loose = slices.DeleteFunc(slices.Clone(x.loose), isE)
		return
	}
	delete(x.filed, e)
	sb := x.shape(k.keyShape, false)
	if b := slices.DeleteFunc(slices.Clone(sb.buckets[k.text]), isE); len(b) > 0 {
		sb.buckets[k.text] = b
		return
	}
	delete(sb.buckets, k.text)
	if len(sb.buckets) == 0 {
		x.shapes = slices.DeleteFunc(x.shapes, func(y *shapeBuckets[V]) bool { return y == sb })
	}
}

// bucket returns the bucket of k, nil when there is none.
func (x *globIndex[V]) bucket(k bucketKey) []*Entry[V] {
	if sb := x.shape(k.keyShape, false); sb != nil {
		return sb.buckets[k.text]
	}
	return nil
}

// shape returns the buckets of shape k, made when create is set.
func (x *globIndex[V]) shape(k keyShape, create bool) *shapeBuckets[V] {
	i, found := slices.BinarySearchFunc(x.shapes, k, func(sb *shapeBuckets[V], k keyShape) int {
		return compareShape(sb.shape, k)
	})
	switch {
	case found:
		return x.shapes[i]
	case !create:
		return nil
	}
	sb := &shapeBuckets[V]{shape: k, buckets: map[string][]*Entry[V]{}}
	x.shapes = slices.Insert(x.shapes, i, sb)
	return sb
}

// clone copies the index: the shapes and their maps are new, the buckets
// (never changed in place) shared.
func (x *globIndex[V]) clone() globIndex[V] {
	c := globIndex[V]{filed: maps.Clone(x.filed), loose: x.loose, shapes: make([]*shapeBuckets[V], len(x.shapes))}
	for i, sb := range x.shapes {
		c.shapes[i] = &shapeBuckets[V]{shape: sb.shape, buckets: maps.Clone(sb.buckets)}
	}
	return c
}

// lookup returns the best glob that matches s on port, or nil.
func (x *globIndex[V]) lookup(s *subject, port int) *Entry[V] {
	var best *Entry[V]
	for _, sb := range x.shapes {
		if text, ok := sb.shape.key(s.glob); ok {
			best = better(best, sb.buckets[text], s, port)
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
