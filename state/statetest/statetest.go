// Package statetest holds the tests every state.Store must pass, so the
// memory, bolt and etcd stores are held to the same semantics.
package statetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sandgate/sandgate/state"
)

// Record returns a record with every field set.
func Record(id, source string) *state.Sandbox {
	return &state.Sandbox{
		ID: id, Class: "default", Labels: map[string]string{"team": "a"}, SourceIP: source,
		Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), TokenHash: []byte("0123456789abcdef0123456789abcdef"),
		CACert: []byte("cert-der"), CAKey: []byte("sealed-key"),
		Overrides: state.Overrides{
			Denied:   []string{"bad.example"},
			Outbound: &state.Binding{Handler: "allow_hosts", Params: map[string]any{"allowed_hostnames": []any{"a.example"}}},
		},
	}
}

// Run runs the conformance tests on stores made by open (a new, empty
// store each time).
func Run(t *testing.T, open func(t *testing.T) state.Store) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, state.Store)
	}{
		{"create and load", testCreateLoad},
		{"create refuses duplicates", testDuplicates},
		{"update bumps the version", testUpdate},
		{"update refusal stores nothing", testUpdateRefused},
		{"delete", testDelete},
		{"concurrent updates lose nothing", testConcurrentUpdates},
		{"concurrent creations", testConcurrentCreates},
		{"update all", testUpdateAll},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func testCreateLoad(t *testing.T, st state.Store) {
	ctx := context.Background()
	got, err := st.Create(ctx, Record("a", "10.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 {
		t.Errorf("created version: got %d, want 1", got.Version)
	}
	all, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("load: got %d records, want 1", len(all))
	}
	want := Record("a", "10.0.0.1")
	want.Version = 1
	if a, b := asJSON(all[0]), asJSON(want); a != b {
		t.Errorf("loaded record:\n got %s\nwant %s", a, b)
	}
}

func asJSON(sb *state.Sandbox) string {
	b, _ := json.Marshal(sb)
	return string(b)
}

func testDuplicates(t *testing.T, st state.Store) {
	ctx := context.Background()
	if _, err := st.Create(ctx, Record("a", "10.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, Record("a", "")); !errors.Is(err, state.ErrExists) {
		t.Errorf("same id: got %v, want ErrExists", err)
	}
	if _, err := st.Create(ctx, Record("b", "10.0.0.1")); !errors.Is(err, state.ErrSourceInUse) {
		t.Errorf("same source_ip: got %v, want ErrSourceInUse", err)
	}
	if all, _ := st.Load(ctx); len(all) != 1 {
		t.Errorf("after refusals: got %d records, want 1", len(all))
	}
	if err := st.Delete(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, Record("b", "10.0.0.1")); err != nil {
		t.Errorf("source_ip of a deleted sandbox: got %v, want it free", err)
	}
}

func testUpdate(t *testing.T, st state.Store) {
	ctx := context.Background()
	if _, err := st.Create(ctx, Record("a", "")); err != nil {
		t.Fatal(err)
	}
	got, err := st.Update(ctx, "a", func(sb *state.Sandbox) error {
		l := []string{"x.example"}
		sb.Overrides.Allowed = &l
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Overrides.Allowed == nil || (*got.Overrides.Allowed)[0] != "x.example" {
		t.Errorf("updated: got version %d allowed %v, want 2 [x.example]", got.Version, got.Overrides.Allowed)
	}
	all, _ := st.Load(ctx)
	if len(all) != 1 || all[0].Version != 2 || all[0].Overrides.Allowed == nil {
		t.Errorf("load after update: got %+v", all)
	}
	if _, err := st.Update(ctx, "nope", func(*state.Sandbox) error { return nil }); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("update of a missing sandbox: got %v, want ErrNotFound", err)
	}
}

func testUpdateRefused(t *testing.T, st state.Store) {
	ctx := context.Background()
	if _, err := st.Create(ctx, Record("a", "")); err != nil {
		t.Fatal(err)
	}
	no := errors.New("refused by the caller")
	_, err := st.Update(ctx, "a", func(sb *state.Sandbox) error {
		sb.Class = "changed"
		return no
	})
	if !errors.Is(err, no) {
		t.Errorf("got %v, want the caller's error", err)
	}
	if state.IsUnavailable(err) {
		t.Errorf("a caller's refusal was reported as the store being unavailable: %v", err)
	}
	all, _ := st.Load(ctx)
	if all[0].Class != "default" || all[0].Version != 1 {
		t.Errorf("after a refused update: got class %q version %d, want default 1", all[0].Class, all[0].Version)
	}
	if err := st.Delete(ctx, "a", func(*state.Sandbox) error { return no }); !errors.Is(err, no) {
		t.Errorf("refused delete: got %v, want the caller's error", err)
	}
	if all, _ := st.Load(ctx); len(all) != 1 {
		t.Errorf("a refused delete deleted")
	}
}

func testDelete(t *testing.T, st state.Store) {
	ctx := context.Background()
	if _, err := st.Create(ctx, Record("a", "")); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "a", nil); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
	if all, _ := st.Load(ctx); len(all) != 0 {
		t.Errorf("after delete: got %d records, want 0", len(all))
	}
}

// testConcurrentUpdates adds one denied host from each of 20 goroutines:
// a read-modify-write that must keep all of them.
func testConcurrentUpdates(t *testing.T, st state.Store) {
	ctx := context.Background()
	if _, err := st.Create(ctx, Record("a", "")); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Update(ctx, "a", func(sb *state.Sandbox) error {
				sb.Overrides.Denied = append(sb.Overrides.Denied, fmt.Sprintf("h%d.example", i))
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	all, _ := st.Load(ctx)
	if got := len(all[0].Overrides.Denied); got != n+1 {
		t.Errorf("denied hosts after %d concurrent additions: got %d, want %d", n, got, n+1)
	}
	if all[0].Version != n+1 {
		t.Errorf("version: got %d, want %d", all[0].Version, n+1)
	}
}

func testConcurrentCreates(t *testing.T, st state.Store) {
	ctx := context.Background()
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := st.Create(ctx, Record(fmt.Sprintf("s%02d", i), "")); err != nil {
				t.Error(err)
			}
			// every other one collides with itself
			if i%2 == 0 {
				if _, err := st.Create(ctx, Record(fmt.Sprintf("s%02d", i), "")); !errors.Is(err, state.ErrExists) {
					t.Errorf("duplicate in a batch: got %v, want ErrExists", err)
				}
			}
		}()
	}
	wg.Wait()
	if all, _ := st.Load(ctx); len(all) != n {
		t.Errorf("got %d records, want %d", len(all), n)
	}
}

func testUpdateAll(t *testing.T, st state.Store) {
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if _, err := st.Create(ctx, Record(id, "")); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.UpdateAll(ctx, func(sb *state.Sandbox) error {
		sb.CAKey = []byte("resealed-" + sb.ID)
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("got %d, %v; want 3, nil", n, err)
	}
	all, _ := st.Load(ctx)
	for _, sb := range all {
		if string(sb.CAKey) != "resealed-"+sb.ID {
			t.Errorf("%s: key %q not rewritten", sb.ID, sb.CAKey)
		}
	}
}
