package etcd_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sandgate/sandgate/state"
	"github.com/sandgate/sandgate/state/etcd"
	"github.com/sandgate/sandgate/state/etcd/etcdtest"
	"github.com/sandgate/sandgate/state/statetest"
)

func open(t *testing.T, srv *etcdtest.Server, prefix string) *etcd.Store {
	t.Helper()
	st, err := etcd.Open(etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: prefix, DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestStoreSemantics(t *testing.T) {
	srv := etcdtest.Start(t)
	n := 0
	statetest.Run(t, func(t *testing.T) state.Store {
		n++
		return open(t, srv, fmt.Sprintf("/t%d/", n)) // a fresh prefix is an empty store
	})
}

// TestTwoWritersLoseNothing: two stores (two gateways) add to the same
// sandbox at once; the revision checks keep every addition.
func TestTwoWritersLoseNothing(t *testing.T) {
	srv := etcdtest.Start(t)
	a, b := open(t, srv, "/x/"), open(t, srv, "/x/")
	ctx := context.Background()
	if _, err := a.Create(ctx, statetest.Record("s", "")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Update(ctx, "s", func(sb *state.Sandbox) error {
				sb.Overrides.Denied = append(sb.Overrides.Denied, fmt.Sprintf("h%d", i))
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	all, _ := b.Load(ctx)
	if got := len(all[0].Overrides.Denied); got != 21 {
		t.Errorf("got %d denied hosts, want 21", got)
	}
}

func TestWatchSeesChanges(t *testing.T) {
	srv := etcdtest.Start(t)
	a, b := open(t, srv, "/w/"), open(t, srv, "/w/")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	events := make(chan state.Event, 100)
	go b.Watch(ctx, func(e state.Event) { events <- e })
	if _, err := a.Create(ctx, statetest.Record("s", "10.0.0.9")); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateScripts(ctx, func(map[string][]byte) (map[string][]byte, error) {
		return map[string][]byte{"x": []byte("return function() end")}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, "s", nil); err != nil {
		t.Fatal(err)
	}
	want := []state.EventKind{state.SandboxPut, state.ScriptsChanged, state.SandboxDeleted}
	for i, k := range want {
		select {
		case e := <-events:
			if e.Kind != k {
				t.Fatalf("event %d: got kind %d, want %d", i, e.Kind, k)
			}
			if k == state.ScriptsChanged && string(e.Scripts["x"]) != "return function() end" {
				t.Errorf("scripts event: got %q", e.Scripts)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d (kind %d) did not come", i, k)
		}
	}
}

func TestCompactedWatchResyncs(t *testing.T) {
	srv := etcdtest.Start(t)
	a, b := open(t, srv, "/c/"), open(t, srv, "/c/")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := a.Create(ctx, statetest.Record(fmt.Sprintf("s%d", i), "")); err != nil {
			t.Fatal(err)
		}
	}
	cli := srv.Client(t)
	if _, err := cli.Compact(ctx, a.Health().Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	events := make(chan state.Event, 100)
	go b.Watch(ctx, func(e state.Event) { events <- e })
	select {
	case e := <-events:
		if e.Kind != state.Resync || len(e.Sandboxes) != 5 {
			t.Fatalf("got kind %d with %d sandboxes, want a resync with 5", e.Kind, len(e.Sandboxes))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no resync after compaction")
	}
}

func TestUnreachableIsUnavailableWithinDialTimeout(t *testing.T) {
	srv := etcdtest.Start(t)
	st, err := etcd.Open(etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/u/", DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.Create(ctx, statetest.Record("s", "")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	start := time.Now()
	_, err = st.Update(ctx, "s", func(*state.Sandbox) error { return nil })
	took := time.Since(start)
	if !state.IsUnavailable(err) {
		t.Fatalf("got %v, want unavailable", err)
	}
	t.Logf("failed after %v", took)
	if st.Health().Healthy {
		t.Error("health says healthy with etcd stopped")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The client reconnects by itself, after its back-off: a call may still
	// fail unavailable for a moment, then calls go through.
	var uerr error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, uerr = st.Update(ctx, "s", func(*state.Sandbox) error { return nil }); uerr == nil {
			break
		}
		if !state.IsUnavailable(uerr) {
			t.Fatalf("after etcd came back: %v, want success or a passing unavailable", uerr)
		}
	}
	if uerr != nil {
		t.Fatalf("after etcd came back: %v", uerr)
	}
	if !st.Health().Healthy {
		t.Error("health says unhealthy after etcd came back")
	}
}
