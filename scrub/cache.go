package scrub

import (
	"crypto/sha256"
	"slices"
	"sync"
)

// maxCached bounds the Scrubbers For keeps; past it the cache starts over.
const maxCached = 512

var cache struct {
	sync.Mutex
	m map[[sha256.Size]byte]*Scrubber
}

// For returns a Scrubber for values, shared with every earlier call for
// the same set (whatever its order): requests that read the same secrets
// reuse one automaton instead of building it each time. The cache is keyed
// by a hash of the values and holds at most a few hundred sets.
func For(values []string) *Scrubber {
	s := New(values)
	if s.Empty() {
		return s
	}
	key := setKey(s.values)
	cache.Lock()
	defer cache.Unlock()
	if c, ok := cache.m[key]; ok {
		return c
	}
	if cache.m == nil || len(cache.m) >= maxCached {
		cache.m = make(map[[sha256.Size]byte]*Scrubber)
	}
	cache.m[key] = s
	return s
}

// setKey hashes a set of values: sorted, each with its length before it.
func setKey(values []string) [sha256.Size]byte {
	sorted := slices.Sorted(slices.Values(values))
	h := sha256.New()
	var n [8]byte
	for _, v := range sorted {
		for i := range n {
			n[i] = byte(len(v) >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(v))
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
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
