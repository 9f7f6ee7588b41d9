package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// DefaultMaxMemory is the heap size past which running handler calls are
// stopped, when Options.MaxMemory is zero.
const DefaultMaxMemory = 1 << 30

// ErrMemoryLimit is wrapped by the HandlerError of a call stopped because
// the heap passed Options.MaxMemory.
var ErrMemoryLimit = errors.New("engine: stopped: the heap passed limits.max_memory")

// ErrNoSlot is wrapped by the HandlerError (Timeout set) of a call that
// found none of its sandbox's Options.HandlerConcurrency slots free within
// its time limit.
var ErrNoSlot = errors.New("engine: no free handler slot for the sandbox within the time limit (limits.handler_concurrency)")

var errMemoryLimit = errors.New("engine: memory limit")

// Stats are counts since the Engine started, for metrics.
type Stats struct {
	// MemoryStops counts handler calls stopped at Options.MaxMemory.
	MemoryStops uint64
	// SlotTimeouts counts handler calls that found no free slot of their
	// sandbox within the time limit.
	SlotTimeouts uint64
	// SlotSandboxes is the number of sandboxes with a handler call in
	// progress (entries of the slot table).
	SlotSandboxes int
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	return Stats{
		MemoryStops:   e.pool.mem.stops.Load(),
		SlotTimeouts:  e.pool.slots.timeouts.Load(),
		SlotSandboxes: e.pool.slots.size(),
	}
}

func concurrency(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

func maxMemory(n int64) uint64 {
	if n <= 0 {
		return DefaultMaxMemory
	}
	return uint64(n)
}

// limitError is the HandlerError of a call that a limit stopped, or nil:
// the memory guard cancelled it, or its time limit passed in Lua (lerr, the
// Lua error, gives the position).
func (cs *callState) limitError(lctx context.Context, lerr error, cfg *config) error {
	switch context.Cause(lctx) {
	case errMemoryLimit:
		return cs.memoryError(cfg)
	case errTimeLimit:
		herr := cs.fail(fmt.Errorf("exceeded time limit %v%s", cfg.timeout, where(lerr)))
		herr.(*HandlerError).Timeout = true
		return herr
	}
	return nil
}

func (cs *callState) memoryError(cfg *config) error {
	return &HandlerError{Handler: cs.handler, Err: memoryErr(cfg)}
}

func memoryErr(cfg *config) error {
	return fmt.Errorf("%w (%d MiB)", ErrMemoryLimit, cfg.maxMemory>>20)
}

// slotError is the HandlerError of a call that got no slot: its time
// limit passed while it waited, or it was stopped or abandoned.
func (cs *callState) slotError(lctx context.Context, cfg *config) error {
	switch context.Cause(lctx) {
	case errTimeLimit:
		return &HandlerError{Handler: cs.handler, Timeout: true,
			Err: fmt.Errorf("%w: %d calls of the sandbox ran for the whole %v", ErrNoSlot, cfg.concurrency, cfg.timeout)}
	case errMemoryLimit:
		return cs.memoryError(cfg)
	}
	return &HandlerError{Handler: cs.handler, Err: fmt.Errorf("call abandoned: %w", context.Cause(cs.ctx))}
}
