package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeHeap makes the guard read over the limit while over is set, and
// counts the times it returned memory.
func fakeHeap(env *testEnv) (over *atomic.Bool, frees *atomic.Int32) {
	over, frees = new(atomic.Bool), new(atomic.Int32)
	g := env.pool.mem
	g.heap = func() uint64 {
		if over.Load() {
			return g.limit + 1
		}
		return 0
	}
	g.free = func() { frees.Add(1) }
	return over, frees
}

// Past the limit every running call is stopped, one waiting in fetch
// too; the memory is returned once their states are gone; calls after
// that run again.
func TestMemoryLimitStopsRunningCalls(t *testing.T) {
	env := newEnv(t, map[string]string{
		"loop":  `return function(req, ctx) while true do end end`,
		"fetch": `return function(req, ctx) return fetch(req) end`,
		"quick": `return function(req, ctx) return deny() end`,
	}, func(o *Options) { o.HandlerTimeout, o.MaxMemory = 20*time.Second, 256<<20 })
	over, frees := fakeHeap(env)
	env.transport.fn = func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	errs := make(chan error, 3)
	for i, h := range []string{"loop", "loop", "fetch"} {
		go func() {
			call := newCall(h, "GET", "https://api.example.com/")
			call.SandboxID = fmt.Sprintf("sb-%d", i)
			_, err := env.Snapshot().Run(context.Background(), call)
			errs <- err
		}()
	}
	waitFor(t, "three running calls", func() bool {
		env.pool.mem.mu.Lock()
		defer env.pool.mem.mu.Unlock()
		return len(env.pool.mem.running) == 3 && len(env.transport.requests()) == 1
	})
	over.Store(true)
	for i := 0; i < 3; i++ {
		err := <-errs
		var he *HandlerError
		if !errors.As(err, &he) || !errors.Is(err, ErrMemoryLimit) || he.Timeout ||
			!strings.Contains(err.Error(), "limits.max_memory (256 MiB)") {
			t.Errorf("got %v, want a HandlerError naming limits.max_memory", err)
		}
	}
	waitFor(t, "the memory to be returned", func() bool { return frees.Load() == 1 })
	over.Store(false)
	if _, err := env.run(t, "quick", "https://api.example.com/"); err != nil {
		t.Fatalf("after the heap is back under: %v", err)
	}
	if got := env.Stats().MemoryStops; got != 3 {
		t.Errorf("MemoryStops: got %d, want 3", got)
	}
}

// heapObjects reads the metric the guard watches.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// A handler filling a table is stopped by the real heap reading, well
// before its time limit, and its memory is returned.
func TestMemoryBombStopped(t *testing.T) {
	runtime.GC()
	base := heapObjects()
	limit := int64(base) + 96<<20
	env := newEnv(t, map[string]string{"bomb": `return function(req, ctx)
  local t, i = {}, 0
  while true do i = i + 1; t[i] = {i, tostring(i)} end
end`}, func(o *Options) { o.HandlerTimeout, o.MaxMemory = time.Minute, limit })
	_, err := env.run(t, "bomb", "https://api.example.com/")
	var he *HandlerError
	if !errors.As(err, &he) || he.Timeout || !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("got %v, want a HandlerError for the memory limit", err)
	}
	waitFor(t, "the bomb's memory to be collected", func() bool { return heapObjects() < base+48<<20 })
	t.Logf("heap after the stop: %d MiB (limit %d MiB)", heapObjects()>>20, limit>>20)
}

// The watchdog sleeps when no call runs.
func TestMemoryGuardSleepsWhenIdle(t *testing.T) {
	env := newEnv(t, map[string]string{"quick": `return function(req, ctx) return deny() end`})
	if _, err := env.run(t, "quick", "https://api.example.com/"); err != nil {
		t.Fatal(err)
	}
	g := env.pool.mem
	waitFor(t, "the watchdog to stop", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return !g.watching
	})
}

// Past the limit, calls that have run a while are stopped first: a call
// that started just now is left running.
func TestMemoryLimitStopsLongRunningCallsFirst(t *testing.T) {
	env := newEnv(t, map[string]string{
		"loop": `return function(req, ctx) while true do end end`,
	}, func(o *Options) { o.HandlerTimeout, o.MaxMemory = 20*time.Second, 256<<20 })
	over, _ := fakeHeap(env)
	g := env.pool.mem
	g.suspect = time.Second // room for a loaded machine between the two calls
	running := func() (old, young int) {
		g.mu.Lock()
		defer g.mu.Unlock()
		for w := range g.running {
			if time.Since(w.start) > g.suspect {
				old++
			} else {
				young++
			}
		}
		return old, young
	}
	oldErr := make(chan error, 1)
	go func() {
		call := newCall("loop", "GET", "https://api.example.com/")
		call.SandboxID = "old"
		_, err := env.Snapshot().Run(context.Background(), call)
		oldErr <- err
	}()
	waitFor(t, "a call past suspectAge", func() bool { o, _ := running(); return o == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	youngErr := make(chan error, 1)
	go func() {
		call := newCall("loop", "GET", "https://api.example.com/")
		call.SandboxID = "young"
		_, err := env.Snapshot().Run(ctx, call)
		youngErr <- err
	}()
	waitFor(t, "a fresh call", func() bool { _, y := running(); return y == 1 })
	over.Store(true)
	if err := <-oldErr; !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("the long call: got %v, want it stopped at the memory limit", err)
	}
	over.Store(false)
	select {
	case err := <-youngErr:
		t.Fatalf("the fresh call was stopped too: %v", err)
	default:
	}
	cancel()
	if err := <-youngErr; errors.Is(err, ErrMemoryLimit) {
		t.Errorf("the fresh call: got %v, want it ended by its own context", err)
	}
}
