package engine

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// memInterval is how often the heap is sampled while handler calls run.
// A handler filling a table grows the heap by a few hundred MB a second,
// so it passes the limit by a few MB at most before it is stopped.
const memInterval = 5 * time.Millisecond

// heapMetric is the heap the limit applies to: memory taken by objects,
// live or not yet swept.
const heapMetric = "/memory/classes/heap/objects:bytes"

// suspectAge is how long a call must have run to be a suspect when the
// heap passes the limit: a handler that fills memory runs on while it
// does (hundreds of MB take hundreds of ms), where a handler serving a
// request returns within a few.
const suspectAge = 50 * time.Millisecond

// memGuard enforces limits.max_memory. gopher-lua does not account the
// memory a script takes, so which call allocated most is not known: a
// watchdog samples the heap while calls run (and sleeps when none do),
// and past the limit stops the calls that have run for suspectAge or
// more, or every running call when none has, by cancelling their
// contexts. The stopped calls' states are discarded, then the memory is
// collected and returned to the system, and the heap is measured again
// before more calls are stopped.
type memGuard struct {
	limit    uint64
	interval time.Duration
	suspect  time.Duration // suspectAge
	heap     func() uint64 // current heap size
	free     func()        // collect and return memory to the system
	stops    atomic.Uint64

	mu       sync.Mutex
	running  map[*memWatch]struct{}
	watching bool
	stopped  int  // stopped calls whose states are not discarded yet
	freeDue  bool // calls were stopped since memory was last returned
}

// memWatch is one running call as the guard sees it.
type memWatch struct {
	cancel  context.CancelCauseFunc
	start   time.Time
	stopped bool
}

func newMemGuard(limit uint64) *memGuard {
	sample := []metrics.Sample{{Name: heapMetric}}
	return &memGuard{
		limit: limit, interval: memInterval, suspect: suspectAge,
		heap: func() uint64 {
			metrics.Read(sample) // only the watchdog goroutine reads
			return sample[0].Value.Uint64()
		},
		free:    debug.FreeOSMemory,
		running: make(map[*memWatch]struct{}),
	}
}

// enter registers a call whose context w.cancel ends; the watchdog starts
// if it was asleep.
func (g *memGuard) enter(w *memWatch) {
	g.mu.Lock()
	defer g.mu.Unlock()
	w.start = time.Now()
	g.running[w] = struct{}{}
	if !g.watching {
		g.watching = true
		go g.watch()
	}
}

// finish unregisters a call that has returned: it is not stopped after.
func (g *memGuard) finish(w *memWatch) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.running, w)
}

// released tells the guard that a finished call's state is discarded (or
// back in the pool), so the memory of a stopped call can be returned.
func (g *memGuard) released(w *memWatch) {
	if !w.stopped {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped--
}

func (g *memGuard) watch() {
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for range t.C {
		if !g.tick() {
			return
		}
	}
}

// tick samples the heap once; false when nothing is left to watch.
func (g *memGuard) tick() bool {
	g.mu.Lock()
	if len(g.running) == 0 && !g.freeDue {
		g.watching = false
		g.mu.Unlock()
		return false
	}
	settled := g.stopped == 0 && !g.freeDue
	g.mu.Unlock()
	if settled && g.heap() > g.limit {
		g.stopSuspects()
	}
	g.mu.Lock()
	free := g.freeDue && g.stopped == 0
	g.freeDue = g.freeDue && !free
	g.mu.Unlock()
	if free {
		g.free()
	}
	return true
}

// stopSuspects stops the calls that have run for g.suspect or more, or
// every running call when none has.
func (g *memGuard) stopSuspects() {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := time.Now().Add(-g.suspect)
	suspects := 0
	for w := range g.running {
		if !w.stopped && w.start.Before(old) {
			suspects++
		}
	}
	for w := range g.running {
		if w.stopped || (suspects > 0 && !w.start.Before(old)) {
			continue
		}
		w.stopped = true
		g.stopped++
		g.freeDue = true
		g.stops.Add(1)
		w.cancel(errMemoryLimit)
	}
}
