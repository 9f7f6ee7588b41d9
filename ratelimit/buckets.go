// Package ratelimit keeps the named token buckets of one sandbox, for the
// Lua function ratelimit.take: a bounded number of keys, each a
// golang.org/x/time/rate limiter.
package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys is the number of keys a Buckets holds when MaxKeys is 0.
const DefaultMaxKeys = 1000

// ErrTooManyKeys is returned by Take for a new key once MaxKeys are in use.
var ErrTooManyKeys = errors.New("ratelimit: too many keys")

// Buckets is a set of named token buckets. The zero value is ready to use
// and holds at most DefaultMaxKeys keys. It is safe for concurrent use.
type Buckets struct {
	// MaxKeys caps the number of keys (0: DefaultMaxKeys).
	MaxKeys int
	// Now is the clock. If nil, time.Now.
	Now func() time.Time

	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	lim   *rate.Limiter
	rate  float64
	burst int
}

// Take takes one token from the bucket key, made full with the given rate
// (tokens per second) and burst on first use. A call with another rate or
// burst changes that bucket's rate and burst, keeping its tokens. It
// reports whether a token was there.
func (b *Buckets) Take(key string, perSecond float64, burst int) (bool, error) {
	if math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond < 0 {
		return false, fmt.Errorf("ratelimit: rate must be a number of tokens per second, 0 or more (got %v)", perSecond)
	}
	if burst < 1 {
		return false, fmt.Errorf("ratelimit: burst must be 1 or more (got %d)", burst)
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	t := now()
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.m[key]
	if !ok {
		if len(b.m) >= b.maxKeys() {
			return false, fmt.Errorf("%w: this sandbox already uses %d keys", ErrTooManyKeys, b.maxKeys())
		}
		if b.m == nil {
			b.m = make(map[string]*bucket)
		}
		bk = &bucket{lim: rate.NewLimiter(rate.Limit(perSecond), burst), rate: perSecond, burst: burst}
		b.m[key] = bk
	} else if bk.rate != perSecond || bk.burst != burst {
		bk.lim.SetLimitAt(t, rate.Limit(perSecond))
		bk.lim.SetBurstAt(t, burst)
		bk.rate, bk.burst = perSecond, burst
	}
	return bk.lim.AllowN(t, 1), nil
}

// Len is the number of keys in use.
func (b *Buckets) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

func (b *Buckets) maxKeys() int {
	if b.MaxKeys > 0 {
		return b.MaxKeys
	}
	return DefaultMaxKeys
}
