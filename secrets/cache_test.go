package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStore answers from a map, counts reads, and can hold reads until
// released.
type fakeStore struct {
	mu      sync.Mutex
	data    map[string]map[string]string
	err     error
	calls   atomic.Int64
	gate    chan struct{} // when non-nil, each read waits for it to be closed
	started chan string   // when non-nil, each read reports its path first
}

func (f *fakeStore) Get(ctx context.Context, path string) (map[string]string, error) {
	f.calls.Add(1)
	f.mu.Lock()
	gate, started, err := f.gate, f.started, f.err
	fields, ok := f.data[path]
	f.mu.Unlock()
	// The answer is fixed when the read starts, as with a backend that has
	// already replied; the gate only delays its arrival.
	if started != nil {
		started <- path
	}
	if gate != nil {
		<-gate
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &Error{Op: "reading", Path: path, Err: ErrNotFound}
	}
	return fields, nil
}

func (f *fakeStore) set(path, field, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.data == nil {
		f.data = make(map[string]map[string]string)
	}
	f.data[path] = map[string]string{field: value}
}

func (f *fakeStore) hold() (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = make(chan struct{})
	f.started = make(chan string, 100)
	gate := f.gate
	return func() { close(gate) }
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func mustGet(t *testing.T, s Store, path, field string) string {
	t.Helper()
	fields, err := s.Get(t.Context(), path)
	if err != nil {
		t.Fatalf("Get(%q): %v", path, err)
	}
	return fields[field]
}

func TestCacheTTL(t *testing.T) {
	store := &fakeStore{}
	store.set("a", "token", "v1")
	clock := &fakeClock{now: time.Unix(1000, 0)}
	var results []string
	c := NewCache(store, time.Second, WithClock(clock.Now), WithLookupHook(func(r string) { results = append(results, r) }))

	steps := []struct {
		name      string
		advance   time.Duration
		write     string // new value written to the store before the step
		want      string
		wantCalls int64
	}{
		{name: "first read misses", want: "v1", wantCalls: 1},
		{name: "second read hits", want: "v1", wantCalls: 1},
		{name: "new version unseen before expiry", advance: 999 * time.Millisecond, write: "v2", want: "v1", wantCalls: 1},
		{name: "expired", advance: time.Millisecond, want: "v2", wantCalls: 2},
		{name: "hit again", advance: 500 * time.Millisecond, want: "v2", wantCalls: 2},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		if st.write != "" {
			store.set("a", "token", st.write)
		}
		if got := mustGet(t, c, "a", "token"); got != st.want {
			t.Errorf("%s: got %q, want %q", st.name, got, st.want)
		}
		if got := store.calls.Load(); got != st.wantCalls {
			t.Errorf("%s: got %d store reads, want %d", st.name, got, st.wantCalls)
		}
	}
	wantResults := fmt.Sprint([]string{"miss", "hit", "hit", "miss", "hit"})
	if got := fmt.Sprint(results); got != wantResults {
		t.Errorf("got hook results %s, want %s", got, wantResults)
	}
	if got, want := c.Stats(), (CacheStats{Hits: 3, Misses: 2}); got != want {
		t.Errorf("got stats %+v, want %+v", got, want)
	}
}

func TestCacheZeroTTL(t *testing.T) {
	store := &fakeStore{}
	store.set("a", "token", "v1")
	c := NewCache(store, 0)
	for i := range 3 {
		mustGet(t, c, "a", "token")
		if got, want := store.calls.Load(), int64(i+1); got != want {
			t.Fatalf("got %d store reads, want %d", got, want)
		}
	}
	store.set("a", "token", "v2")
	if got := mustGet(t, c, "a", "token"); got != "v2" {
		t.Errorf("got %q, want %q", got, "v2")
	}
}

func TestCacheErrorsNotCached(t *testing.T) {
	store := &fakeStore{}
	var results []string
	c := NewCache(store, time.Hour, WithLookupHook(func(r string) { results = append(results, r) }))

	_, err := c.Get(t.Context(), "missing")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	store.set("missing", "f", "now here")
	if got := mustGet(t, c, "missing", "f"); got != "now here" {
		t.Errorf("got %q, want %q", got, "now here")
	}

	store.err = errors.New("backend down")
	c.Flush()
	if _, err := c.Get(t.Context(), "missing"); err == nil {
		t.Fatal("got no error from a failing store")
	}
	store.err = nil
	if got := mustGet(t, c, "missing", "f"); got != "now here" {
		t.Errorf("got %q, want %q", got, "now here")
	}
	if got, want := fmt.Sprint(results), "[error miss error miss]"; got != want {
		t.Errorf("got hook results %s, want %s", got, want)
	}
}

func TestCacheWithoutCollapse(t *testing.T) {
	store := &fakeStore{}
	store.set("a", "token", "v1")
	release := store.hold()
	var results []string
	var mu sync.Mutex
	c := NewCache(store, 0, WithoutCollapse(), WithLookupHook(func(r string) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, r)
	}))
	// Two concurrent Gets of one path each read the store: neither waits for
	// the other's read.
	const n = 2
	errs := make(chan error, n)
	for range n {
		go func() {
			fields, err := c.Get(t.Context(), "a")
			if err == nil && fields["token"] != "v1" {
				err = fmt.Errorf("got %q, want %q", fields["token"], "v1")
			}
			errs <- err
		}()
	}
	for range n {
		select {
		case <-store.started:
		case <-time.After(10 * time.Second):
			t.Fatal("the second Get did not reach the store while the first was in it")
		}
	}
	release()
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if _, err := c.Get(t.Context(), "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	if got, want := fmt.Sprint(results), "[miss miss error]"; got != want {
		t.Errorf("got hook results %s, want %s", got, want)
	}
	// With a ttl the option changes nothing: the second Get is a hit.
	c = NewCache(&fakeStore{data: store.data}, time.Hour, WithoutCollapse())
	mustGet(t, c, "a", "token")
	mustGet(t, c, "a", "token")
	if s := c.Stats(); s.Hits != 1 || s.Misses != 1 {
		t.Errorf("ttl 1h with WithoutCollapse: got %+v, want 1 hit and 1 miss", s)
	}
}

func TestCacheSingleflight(t *testing.T) {
	for _, ttl := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprint("ttl=", ttl), func(t *testing.T) {
			store := &fakeStore{}
			store.set("a", "token", "v1")
			release := store.hold()
			c := NewCache(store, ttl)
			const n = 50
			var joined sync.WaitGroup
			joined.Add(n)
			c.testHookJoined = joined.Done

			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Go(func() {
					fields, err := c.Get(t.Context(), "a")
					if err == nil && fields["token"] != "v1" {
						err = fmt.Errorf("got %q, want %q", fields["token"], "v1")
					}
					errs <- err
				})
			}
			joined.Wait() // every Get waits on the one read
			release()
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			if got := store.calls.Load(); got != 1 {
				t.Errorf("got %d store reads for %d concurrent Gets, want 1", got, n)
			}
		})
	}
}

func TestCacheCallerContext(t *testing.T) {
	store := &fakeStore{}
	store.set("a", "token", "v1")
	release := store.hold()
	c := NewCache(store, time.Minute)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx, "a")
		done <- err
	}()
	<-store.started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// The shared read was not cancelled with its first caller: it completes
	// and is kept.
	release()
	waitFor(t, func() bool {
		_, _, ok := c.lookup("a")
		return ok
	})
	if got := mustGet(t, c, "a", "token"); got != "v1" {
		t.Errorf("got %q, want %q", got, "v1")
	}
	if got := store.calls.Load(); got != 1 {
		t.Errorf("got %d store reads, want 1", got)
	}
}

func TestCacheFlush(t *testing.T) {
	store := &fakeStore{}
	store.set("a", "token", "v1")
	c := NewCache(store, time.Hour)
	mustGet(t, c, "a", "token")
	store.set("a", "token", "v2")
	if got := mustGet(t, c, "a", "token"); got != "v1" {
		t.Fatalf("got %q before flush, want %q", got, "v1")
	}
	c.Flush()
	if got := mustGet(t, c, "a", "token"); got != "v2" {
		t.Errorf("got %q after flush, want %q", got, "v2")
	}
}

func TestCacheFlushDuringRead(t *testing.T) {
	store := &fakeStore{}
	store.set("a", "token", "old")
	release := store.hold()
	c := NewCache(store, time.Hour)

	before := make(chan string, 1)
	go func() {
		fields, err := c.Get(t.Context(), "a")
		if err != nil {
			t.Error(err)
		}
		before <- fields["token"]
	}()
	<-store.started // the read has reached the store, holding "old"

	c.Flush()
	store.mu.Lock()
	store.gate = nil // reads after the flush go straight through
	store.started = nil
	store.mu.Unlock()
	store.set("a", "token", "new")

	// A Get after the flush must not join the read that started before it.
	if got := mustGet(t, c, "a", "token"); got != "new" {
		t.Errorf("Get after flush: got %q, want %q", got, "new")
	}
	release()
	if got := <-before; got != "old" {
		t.Errorf("in-flight Get: got %q, want %q", got, "old")
	}
	// The pre-flush read finished last; it must not have replaced the
	// post-flush value in the cache.
	if got := mustGet(t, c, "a", "token"); got != "new" {
		t.Errorf("Get after the in-flight read finished: got %q, want %q", got, "new")
	}
	if got := store.calls.Load(); got != 2 {
		t.Errorf("got %d store reads, want 2", got)
	}
}

func TestCacheFlushDuringReadNoLaterGet(t *testing.T) {
	store := &fakeStore{}
	store.set("a", "token", "old")
	release := store.hold()
	c := NewCache(store, time.Hour)

	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := c.Get(t.Context(), "a"); err != nil {
			t.Error(err)
		}
	}()
	<-store.started
	c.Flush()
	release()
	<-done
	if _, _, ok := c.lookup("a"); ok {
		t.Error("a read that started before Flush was kept in the cache")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
