package engine

import (
	"context"
	"sync"
	"sync/atomic"
)

// slotTable caps how many of one sandbox's handler calls run Lua at once
// (limits.handler_concurrency), so one sandbox's slow or looping handlers
// cannot take every core. A call gives its slot back while it waits in
// fetch, secrets.get or a body read, and takes one again after. An entry
// lives while a call of its sandbox is in progress, so the table does not
// grow with sandboxes that come and go.
type slotTable struct {
	n        int
	timeouts atomic.Uint64 // calls that found no free slot within their time limit

	mu      sync.Mutex
	entries map[string]*slotEntry
	spare   sync.Pool // entries of sandboxes without a call, for reuse
}

type slotEntry struct {
	sem  chan struct{}
	refs int // calls in progress (running, waiting or paused)
}

func newSlotTable(n int) *slotTable {
	return &slotTable{n: n, entries: make(map[string]*slotEntry)}
}

// slot is one call's place in its sandbox's entry. A nil *slot does
// nothing.
type slot struct {
	t    *slotTable
	id   string
	e    *slotEntry
	held bool
}

// join makes s a call of sandbox id; leave must end it.
func (t *slotTable) join(s *slot, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[id]
	if e == nil {
		e, _ = t.spare.Get().(*slotEntry)
		if e == nil {
			e = &slotEntry{sem: make(chan struct{}, t.n)}
		}
		t.entries[id] = e
	}
	e.refs++
	*s = slot{t: t, id: id, e: e}
}

// leave gives the slot back and drops the entry when no call of its
// sandbox is left.
func (s *slot) leave() {
	s.release()
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	if s.e.refs--; s.e.refs == 0 {
		delete(s.t.entries, s.id)
		s.t.spare.Put(s.e) // every slot of it is free
	}
}

// acquire waits for a free slot until ctx ends.
func (s *slot) acquire(ctx context.Context) error {
	if s == nil || s.held {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.e.sem <- struct{}{}:
		s.held = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slot) release() {
	if s != nil && s.held {
		<-s.e.sem
		s.held = false
	}
}

// size is the number of sandboxes with a call in progress.
func (t *slotTable) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}
