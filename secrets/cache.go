package secrets

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Lookup results passed to a cache's lookup hook and counted by Stats.
const (
	LookupHit   = "hit"   // served from the cache
	LookupMiss  = "miss"  // answered by the store (alone or shared with concurrent callers)
	LookupError = "error" // the store failed, ErrNotFound included
)

// Cache is a Store in front of another Store. A successful read is kept for
// the cache's ttl; errors are never kept. Concurrent misses for one path
// share a single read of the underlying store, with or without a ttl.
//
// Get returns the map the store gave, shared by every caller that got it:
// it must not be changed.
type Cache struct {
	store    Store
	ttl      time.Duration
	direct   bool // no ttl and no collapsing: Get calls the store
	now      func() time.Time
	onLookup func(result string)

	group singleflight.Group

	mu      sync.Mutex
	gen     uint64 // bumped by Flush; a read started in an older generation is not kept
	entries map[string]cacheEntry

	hits, misses, errs atomic.Uint64

	testHookJoined func() // called once a Get has joined a read; tests only
}

type cacheEntry struct {
	fields  map[string]string
	expires time.Time
}

// CacheOption configures a Cache.
type CacheOption func(*Cache)

// WithClock sets the clock that expiry is measured with. The default (nil)
// is time.Now.
func WithClock(now func() time.Time) CacheOption {
	return func(c *Cache) {
		if now != nil {
			c.now = now
		}
	}
}

// WithLookupHook sets a function called once per Get with LookupHit,
// LookupMiss or LookupError, for metrics. It must be fast and must not call
// the cache. The default (nil) calls nothing.
func WithLookupHook(fn func(result string)) CacheOption {
	return func(c *Cache) { c.onLookup = fn }
}

// WithoutCollapse makes a cache with no ttl call the store directly, with the
// caller's ctx, instead of sharing concurrent reads of one path. It is for a
// store that answers from memory (secrets/file), where sharing a read costs
// more than the read. With a ttl above 0 it changes nothing.
func WithoutCollapse() CacheOption {
	return func(c *Cache) { c.direct = true }
}

// NewCache returns a cache in front of store that keeps each secret for ttl.
// A ttl of 0 (or less) keeps nothing: every Get reads the store, though
// concurrent reads of one path are still collapsed into one.
func NewCache(store Store, ttl time.Duration, opts ...CacheOption) *Cache {
	c := &Cache{
		store:   store,
		ttl:     max(ttl, 0),
		now:     time.Now,
		entries: make(map[string]cacheEntry),
	}
	for _, opt := range opts {
		opt(c)
	}
	c.direct = c.direct && c.ttl == 0
	return c
}

// Get returns the secret at path from the cache or, on a miss, from the
// store. The read of the store is shared by every caller that misses on the
// same path meanwhile, so it runs without the callers' cancellation (the
// store's own timeout bounds it); each caller still stops waiting when its
// own ctx ends.
func (c *Cache) Get(ctx context.Context, path string) (map[string]string, error) {
	if c.direct {
		fields, err := c.store.Get(ctx, path)
		if err != nil {
			c.record(LookupError)
			return nil, err
		}
		c.record(LookupMiss)
		return orEmpty(fields), nil
	}
	gen, fields, ok := c.lookup(path)
	if ok {
		c.record(LookupHit)
		return fields, nil
	}
	// The generation is part of the key: a Get that starts after Flush must
	// not join a read that started before it.
	key := strconv.FormatUint(gen, 10) + "\x00" + path
	ch := c.group.DoChan(key, func() (any, error) {
		return c.fill(context.WithoutCancel(ctx), gen, path)
	})
	if c.testHookJoined != nil {
		c.testHookJoined()
	}
	select {
	case res := <-ch:
		if res.Err != nil {
			c.record(LookupError)
			return nil, res.Err
		}
		c.record(LookupMiss)
		return res.Val.(map[string]string), nil
	case <-ctx.Done():
		c.record(LookupError)
		return nil, &Error{Op: "reading", Path: path, Err: ctx.Err()}
	}
}

// lookup returns the current generation and the cached fields, if fresh.
func (c *Cache) lookup(path string) (uint64, map[string]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ttl == 0 {
		return c.gen, nil, false
	}
	e, ok := c.entries[path]
	if !ok {
		return c.gen, nil, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, path)
		return c.gen, nil, false
	}
	return c.gen, e.fields, true
}

// fill reads the store and keeps the result unless Flush ran meanwhile.
func (c *Cache) fill(ctx context.Context, gen uint64, path string) (map[string]string, error) {
	fields, err := c.store.Get(ctx, path)
	if err != nil {
		return nil, err
	}
	fields = orEmpty(fields) // stores return maps nobody changes: keeping it is safe
	if c.ttl == 0 {
		return fields, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.entries[path] = cacheEntry{fields: fields, expires: c.now().Add(c.ttl)}
	}
	return fields, nil
}

// emptyFields stands for a secret without fields; shared, like every map Get
// returns.
var emptyFields = map[string]string{}

func orEmpty(fields map[string]string) map[string]string {
	if fields == nil {
		return emptyFields
	}
	return fields
}

// Flush empties the cache at once. A read that is in flight when Flush is
// called still answers its callers but is not kept, and a Get that starts
// after Flush reads the store again.
func (c *Cache) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// CacheStats counts a cache's lookups since it was created.
type CacheStats struct {
	Hits, Misses, Errors uint64
}

// Stats returns the lookup counters.
func (c *Cache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Errors: c.errs.Load()}
}

func (c *Cache) record(result string) {
	switch result {
	case LookupHit:
		c.hits.Add(1)
	case LookupMiss:
		c.misses.Add(1)
	default:
		c.errs.Add(1)
	}
	if c.onLookup != nil {
		c.onLookup(result)
	}
}

var _ Store = (*Cache)(nil)
