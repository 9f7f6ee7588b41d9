package state_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sandgate/sandgate/state"
	"github.com/sandgate/sandgate/state/statetest"
)

func TestMemory(t *testing.T) {
	statetest.Run(t, func(*testing.T) state.Store { return state.NewMemory() })
}

func openBolt(t *testing.T, path string) *state.Bolt {
	t.Helper()
	b, err := state.OpenBolt(path, state.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBolt(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		b := openBolt(t, filepath.Join(t.TempDir(), "state", "sandgate.db"))
		t.Cleanup(func() { b.Close() })
		return b
	})
}

func TestBoltSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandgate.db")
	b := openBolt(t, path)
	ctx := context.Background()
	if _, err := b.Create(ctx, statetest.Record("a", "10.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, statetest.Record("b", "")); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "b", nil); err != nil {
		t.Fatal(err)
	}
	b.Close()
	b = openBolt(t, path)
	defer b.Close()
	all, err := b.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].ID != "a" || all[0].SourceIP != "10.0.0.1" {
		t.Fatalf("after reopening: got %+v, want sandbox a alone", all)
	}
}

func TestBoltFileInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandgate.db")
	b := openBolt(t, path)
	defer b.Close()
	_, err := state.OpenBolt(path, state.BoltOptions{LockTimeout: 50e6})
	if err == nil {
		t.Fatal("a second open of a file in use succeeded")
	}
	if want := "in use by another process"; !contains(err.Error(), want) {
		t.Errorf("got %q, want it to say %q", err, want)
	}
}

func TestBoltClosedIsAnError(t *testing.T) {
	b := openBolt(t, filepath.Join(t.TempDir(), "sandgate.db"))
	b.Close()
	if _, err := b.Create(context.Background(), statetest.Record("a", "")); err == nil {
		t.Fatal("create on a closed store succeeded")
	}
}
