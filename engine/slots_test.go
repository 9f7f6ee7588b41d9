package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond every few milliseconds, failing after a generous bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// heldSlots is how many slots sandbox id's calls hold.
func (e *Engine) heldSlots(id string) int {
	t := e.pool.slots
	t.mu.Lock()
	defer t.mu.Unlock()
	if en := t.entries[id]; en != nil {
		return len(en.sem)
	}
	return 0
}

// Sandbox A's 16 looping calls hold its 2 slots (the 14 others wait, then
// fail at the time limit); sandbox B's 20 calls meanwhile go through while
// A's are all still running.
func TestSlotsPerSandbox(t *testing.T) {
	env := newEnv(t, map[string]string{
		"loop":  `return function(req, ctx) while true do end end`,
		"quick": `return function(req, ctx) return response{status = 200, body = ctx.sandbox_id} end`,
	}, func(o *Options) { o.HandlerConcurrency, o.HandlerTimeout = 2, 3*time.Second })
	var aDone atomic.Int32
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func() {
			call := newCall("loop", "GET", "https://a.example.com/")
			call.SandboxID = "a"
			_, err := env.Snapshot().Run(context.Background(), call)
			aDone.Add(1)
			errs <- err
		}()
	}
	waitFor(t, "A's calls to take both slots", func() bool { return env.heldSlots("a") == 2 })
	for i := 0; i < 20; i++ {
		call := newCall("quick", "GET", "https://b.example.com/")
		call.SandboxID = "b"
		if _, err := env.Snapshot().Run(context.Background(), call); err != nil {
			t.Fatalf("B's call %d: %v", i, err)
		}
	}
	if n := aDone.Load(); n != 0 {
		t.Fatalf("%d of A's calls ended before B's 20 were done; want B done while A's all run", n)
	}
	var loops, waits int
	for i := 0; i < 16; i++ {
		err := <-errs
		var he *HandlerError
		switch {
		case !errors.As(err, &he) || !he.Timeout:
			t.Errorf("A: got %v, want a HandlerError with Timeout", err)
		case errors.Is(err, ErrNoSlot):
			waits++
		default:
			loops++
		}
	}
	// Which calls get a slot freed as the deadlines (all about equal) pass
	// is a race: a call that gets one just before its own deadline is
	// stopped in the loop, not counted as waiting. Both slots were used.
	if loops < 2 {
		t.Errorf("A: got %d stopped at the time limit and %d without a slot, want 2 or more stopped in the loop", loops, waits)
	}
	if st := env.Stats(); st.SlotTimeouts != uint64(waits) || st.SlotSandboxes != 0 {
		t.Errorf("stats: got %+v, want %d slot time-outs and no sandbox left in the table", st, waits)
	}
}

// A call gives its slot back while it waits in fetch: with one slot, two
// calls of a sandbox wait on the upstream at once.
func TestSlotGivenBackDuringFetch(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `return function(req, ctx) return fetch(req) end`},
		func(o *Options) { o.HandlerConcurrency = 1 })
	var inFlight atomic.Int32
	release := make(chan struct{})
	env.transport.fn = func(*http.Request) (*http.Response, error) {
		inFlight.Add(1)
		<-release
		return textResponse(200, "ok"), nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := env.run(t, "h", "https://api.example.com/")
			errs <- err
		}()
	}
	waitFor(t, "both calls to wait in fetch", func() bool { return inFlight.Load() == 2 })
	close(release)
	wg.Wait()
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Errorf("got %v, want both calls to succeed", err)
		}
	}
}

// Entries go with the last call of their sandbox: calls of 200 sandboxes
// leave an empty table.
func TestSlotTableDropsEntries(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `return function(req, ctx) return deny() end`})
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call := newCall("h", "GET", "https://api.example.com/")
			call.SandboxID = fmt.Sprintf("sb-%d", i)
			env.Snapshot().Run(context.Background(), call)
		}()
	}
	wg.Wait()
	if n := env.Stats().SlotSandboxes; n != 0 {
		t.Errorf("got %d entries, want 0", n)
	}
}
