package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcHeapFloor is the smallest heap goal the gateway lets the garbage
// collector aim for. With the default GOGC=100 the goal is about twice the
// live heap, and a gateway's live heap is small (about 5 MB with a few
// sandboxes) while every request allocates about 9 KB: at 10,000 requests a
// second that is a collection every 50 ms, each taking a share of the CPU
// and stretching the requests in flight. With a 32 MiB floor, collections
// came every 250 ms and, in four paired rounds of the bench's keep-alive
// load, the p99 was 0.15 to 0.9 ms lower (0.45 ms on average), for 55 MB of
// RSS instead of 30 MB (bench/analysis.md). A gateway with more than about
// 16 MiB live (thousands of sandboxes) stays at GOGC=100.
const gcHeapFloor = 32 << 20

// gcTuner sets GOGC after every collection so that the next heap goal is at
// least floor, and never below what GOGC=100 gives. The runtime's goal is
// live + (live + stacks + globals) x GOGC/100, so GOGC is computed from all
// three. It stays out of the way when the operator set GOGC or GOMEMLIMIT.
type gcTuner struct {
	floor  uint64
	sample []metrics.Sample

	mu      sync.Mutex // adjust and stop: no GOGC set after stop restored it
	percent int
	stopped bool
}

// startGCTuner starts tuning unless GOGC or GOMEMLIMIT is set; stop ends it
// and restores GOGC=100.
func startGCTuner(floor uint64) (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	t := &gcTuner{floor: floor, percent: 100, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
	t.adjust()
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.stopped {
			t.stopped = true
			debug.SetGCPercent(100)
		}
	}
}

// gcMaxPercent bounds the GOGC the tuner sets. Right after start the
// figures it reads are tiny and not yet those the runtime uses, and a GOGC
// in the thousands would let the heap overshoot the floor several times
// (it did: a 103 MB goal on the first cycle); the bound keeps that first
// goal small, and the next collection corrects it.
const gcMaxPercent = 1000

// gcPercent is the GOGC that makes the goal floor, or 100 when that is
// more: roots is live heap + stacks + globals, what GOGC multiplies.
func gcPercent(live, roots, floor uint64) int {
	if live == 0 || roots == 0 || live+roots >= floor {
		return 100
	}
	return min(gcMaxPercent, max(100, int((floor-live)*100/roots)))
}

// adjust sets GOGC from the last collection's figures; false once stopped.
func (t *gcTuner) adjust() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	metrics.Read(t.sample)
	var v [3]uint64
	for i, s := range t.sample {
		if s.Value.Kind() != metrics.KindUint64 {
			return true
		}
		v[i] = s.Value.Uint64()
	}
	p := gcPercent(v[0], v[0]+v[1]+v[2], t.floor)
	// Changing GOGC recomputes the goal at once; skip changes under 10%.
	if d := p - t.percent; d > t.percent/10 || -d > t.percent/10 {
		t.percent = p
		debug.SetGCPercent(p)
	}
	return true
}

// arm makes the next collection call adjust: the cleanup of an object that
// nothing refers to runs after the cycle that found it unreachable.
func (t *gcTuner) arm() {
	sentinel := new([64]byte)
	runtime.AddCleanup(sentinel, func(t *gcTuner) {
		if t.adjust() {
			t.arm()
		}
	}, t)
}

// setMemoryLimit sets the Go runtime's soft memory limit to
// limits.max_memory, so the collector works harder as the heap nears it and
// garbage is gone before it counts against the limit at which the engine
// stops handler calls. An operator's GOMEMLIMIT wins.
func setMemoryLimit(limit int64) {
	if os.Getenv("GOMEMLIMIT") == "" && limit > 0 {
		debug.SetMemoryLimit(limit)
	}
}
