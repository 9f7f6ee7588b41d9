package scrub

import (
	"slices"
	"strconv"
	"strings"
	"sync"
)

// maxCached bounds the Scrubbers For keeps; past it the cache starts over.
const maxCached = 512

var cache struct {
	sync.Mutex
	one  map[string]*Scrubber // sets of one value, by the value
	many map[string]*Scrubber // larger sets, by setKey
}

// For returns a Scrubber for values, shared with every earlier call for
// the same set (whatever its order or duplicates): requests that read the
// same secrets reuse one automaton instead of building it each time. The
// cache holds at most a few hundred sets, in memory only.
func For(values []string) *Scrubber {
	key, single, ok := setKey(values)
	if !ok {
		return New(nil)
	}
	cache.Lock()
	defer cache.Unlock()
	m := &cache.many
	if single {
		m = &cache.one
	}
	if c, ok := (*m)[key]; ok {
		return c
	}
	if *m == nil || len(*m) >= maxCached {
		*m = make(map[string]*Scrubber)
	}
	s := New(values)
	(*m)[key] = s
	return s
}

// setKey names a set of values by its members of MinLen bytes or more,
// sorted, each with its length before it; ok is false when there is none.
// A set of one value (the usual case, single) is named by that value, with
// no allocation.
func setKey(values []string) (key string, single, ok bool) {
	n, only := 0, ""
	for _, v := range values {
		if len(v) >= MinLen {
			n++
			only = v
		}
	}
	switch n {
	case 0:
		return "", false, false
	case 1:
		return only, true, true
	}
	kept := make([]string, 0, n)
	for _, v := range values {
		if len(v) >= MinLen {
			kept = append(kept, v)
		}
	}
	slices.Sort(kept)
	kept = slices.Compact(kept)
	if len(kept) == 1 {
		return kept[0], true, true
	}
	var b strings.Builder
	for _, v := range kept {
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	return b.String(), false, true
}

// bufs recycles the read and output buffers of Readers.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize+256); return &b }}

// getBuf returns a buffer of length n (from the pool when it fits).
func getBuf(n int) []byte {
	bp := bufs.Get().(*[]byte)
	if cap(*bp) >= n {
		return (*bp)[:n]
	}
	bufs.Put(bp)
	return make([]byte, n)
}

// putBuf gives b back to the pool if it is of the pooled size.
func putBuf(b []byte) {
	if cap(b) >= chunkSize && cap(b) <= 4*chunkSize {
		b = b[:0]
		bufs.Put(&b)
	}
}
