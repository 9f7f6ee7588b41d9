package engine

import (
	"runtime"
	"sync/atomic"
)

// pool keeps idle Lua states and runs calls on them (exec.go). A state
// whose call failed in any way is discarded, never put back: it may hold
// half-built values or be over a limit.
type pool struct {
	cfg   *config
	idle  chan *vm
	slots *slotTable
	mem   *memGuard

	created   atomic.Int64
	discarded atomic.Int64
}

// maxIdle bounds the idle states kept. It must cover the handler calls in
// flight at once (about one per busy sandbox connection): a state made
// afresh costs far more than the call it serves, so a pool smaller than the
// concurrency would build and throw away a state on most calls.
func maxIdle() int { return max(256, 32*runtime.GOMAXPROCS(0)) }

func newPool(cfg *config) *pool {
	return &pool{cfg: cfg, idle: make(chan *vm, maxIdle()),
		slots: newSlotTable(cfg.concurrency), mem: newMemGuard(cfg.maxMemory)}
}

func (p *pool) get() *vm {
	select {
	case v := <-p.idle:
		return v
	default:
		p.created.Add(1)
		return newVM(p.cfg)
	}
}

// put keeps v for a later call, unless it holds more secret values than
// the limit (see heldSecrets).
func (p *pool) put(v *vm) {
	if v.held.over(p.cfg.maxHeld) {
		v.close()
		return
	}
	select {
	case p.idle <- v:
	default:
		v.close()
	}
}

func (p *pool) discard(v *vm) {
	p.discarded.Add(1)
	v.close()
}

func (p *pool) drain() {
	for {
		select {
		case v := <-p.idle:
			v.close()
		default:
			return
		}
	}
}
