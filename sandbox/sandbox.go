// Package sandbox owns the live sandboxes: their identity and token, their
// CA, their runtime policy overrides, the connections they have open and
// their request rate. The admin API changes sandboxes through the Registry;
// the data plane (package proxy) only reads them and tracks connections.
package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/netip"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/sandgate/sandgate/ca"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/ratelimit"
)

// ID is the shape of a sandbox id.
var ID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$`)

// Errors of Track.
var (
	// ErrDeleted is returned for a sandbox that was deleted meanwhile.
	ErrDeleted = errors.New("sandbox deleted")
	// ErrTooManyConns is returned when the sandbox has max_connections open.
	ErrTooManyConns = errors.New("sandbox has too many connections open")
)

// Sandbox is one isolated workload: its identity, its CA and its runtime
// policy overrides.
type Sandbox struct {
	ID       string
	Class    *policy.Class
	Labels   map[string]string
	SourceIP netip.Addr // zero when none
	Created  time.Time
	CA       *ca.Authority
	// Buckets are the sandbox's ratelimit.take buckets; they go with it.
	Buckets *ratelimit.Buckets

	tokenHash [sha256.Size]byte
	gen       string    // this creation of the id (see generation)
	reg       *Registry // the registry that made it (UpdateOverrides)
	cur       atomic.Pointer[current]
	limiter   atomic.Pointer[rate.Limiter] // nil: no rate limit
	resets    *rate.Limiter                // streams the sandbox resets early (StreamReset)
	h2Barred  atomic.Int64                 // unix nanos until which BarH2 holds
	mu        sync.Mutex                   // serializes override changes; guards conns
	conns     map[io.Closer]struct{}
	deleted   atomic.Bool
}

// current is the published runtime policy and the record version it
// comes from.
type current struct {
	o       *policy.Overrides
	version uint64
}

func newSandbox(id string, class *policy.Class, maxKeys int) *Sandbox {
	sb := &Sandbox{ID: id, Class: class, Created: time.Now().UTC(), Buckets: &ratelimit.Buckets{MaxKeys: maxKeys},
		resets: rate.NewLimiter(ResetRate, ResetBurst)}
	sb.cur.Store(&current{o: &policy.Overrides{}})
	sb.resetLimiter()
	return sb
}

// Overrides returns the current runtime overrides (never nil).
func (s *Sandbox) Overrides() *policy.Overrides { return s.cur.Load().o }

// ETag names the sandbox's current stored version, for If-Match.
func (s *Sandbox) ETag() string { return etag(s.gen, s.cur.Load().version) }

// View returns the overrides and the ETag of the same version.
func (s *Sandbox) View() (*policy.Overrides, string) {
	c := s.cur.Load()
	return c.o, etag(s.gen, c.version)
}

// setOverrides publishes o as of record version, unless a newer version
// is published already (changes may arrive out of order: an admin call
// and a watch). A change of the rate limit starts a new, full bucket.
func (s *Sandbox) setOverrides(o *policy.Overrides, version uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur.Load()
	if version <= old.version {
		return
	}
	s.cur.Store(&current{o: o, version: version})
	if !sameRate(o.RateLimit, old.o.RateLimit) {
		s.resetLimiter()
	}
}

// resetLimiter makes a full bucket for the effective rate limit.
func (s *Sandbox) resetLimiter() {
	rl := policy.EffectiveRateLimit(s.Class, s.Overrides())
	if rl == nil {
		s.limiter.Store(nil)
		return
	}
	every := rl.Per / time.Duration(rl.Requests)
	s.limiter.Store(rate.NewLimiter(rate.Every(every), max(rl.Burst, 1)))
}

// Allow takes one request from the sandbox's rate limit. When the bucket is
// empty it returns false and how long until a request would be allowed.
func (s *Sandbox) Allow() (bool, time.Duration) {
	l := s.limiter.Load()
	if l == nil {
		return true, 0
	}
	now := time.Now()
	r := l.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// ResetRate and ResetBurst are how many HTTP/2 streams a sandbox may cancel
// before their responses end, over all its connections: an agent cancels a
// few, a rapid-reset flood (CVE-2023-44487) thousands a second, each
// costing the gateway a stream's work and the sandbox almost nothing.
// A sandbox that spends its budget has its connection closed and, for
// ResetCooldown, its new TLS sessions are offered HTTP/1.1 only (BarH2).
const (
	ResetRate     = 100
	ResetBurst    = 200
	ResetCooldown = time.Minute
)

// StreamReset takes one early stream reset from the sandbox's budget and
// reports whether it was within it; past it the connection is to be closed.
func (s *Sandbox) StreamReset() bool { return s.resets.Allow() }

// BarH2 offers the sandbox's TLS sessions HTTP/1.1 only for d from now.
func (s *Sandbox) BarH2(d time.Duration) { s.h2Barred.Store(time.Now().Add(d).UnixNano()) }

// H2Barred reports whether BarH2 holds now.
func (s *Sandbox) H2Barred() bool { return time.Now().UnixNano() < s.h2Barred.Load() }

// CheckToken compares token with the sandbox's in constant time.
func (s *Sandbox) CheckToken(token string) bool {
	h := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(h[:], s.tokenHash[:]) == 1
}

// Deleted reports whether the sandbox was deleted.
func (s *Sandbox) Deleted() bool { return s.deleted.Load() }

// Track records an open connection of the sandbox, to be closed when the
// sandbox is deleted. It fails with ErrDeleted after Delete and with
// ErrTooManyConns when the class's max_connections are open already.
func (s *Sandbox) Track(c io.Closer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted.Load() {
		return ErrDeleted
	}
	if _, ok := s.conns[c]; ok {
		return nil
	}
	if max := s.Class.MaxConns; max > 0 && len(s.conns) >= max {
		return ErrTooManyConns
	}
	if s.conns == nil {
		s.conns = make(map[io.Closer]struct{})
	}
	s.conns[c] = struct{}{}
	return nil
}

// Untrack forgets a connection (it was closed).
func (s *Sandbox) Untrack(c io.Closer) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// OpenConns is the number of tracked connections.
func (s *Sandbox) OpenConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// destroy marks the sandbox deleted, closes its connections and destroys
// its CA.
func (s *Sandbox) destroy() {
	s.markDeleted()
	s.CA.Destroy()
}

// markDeleted refuses new connections and closes the open ones.
func (s *Sandbox) markDeleted() {
	s.mu.Lock()
	s.deleted.Store(true)
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}
