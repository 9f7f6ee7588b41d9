package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sandgate/sandgate/ca"
	"github.com/sandgate/sandgate/policy"
)

type closer struct{ closed bool }

func (c *closer) Close() error { c.closed = true; return nil }

func newTestRegistry(classes map[string]*policy.Class) *Registry {
	r := NewRegistry(classes)
	r.NewCA = func(id string) (*ca.Authority, error) { return ca.New(ca.Options{Name: id}) }
	return r
}

// update changes sandbox a's overrides through the registry.
func update(t *testing.T, r *Registry, fn func(*policy.Overrides) error) {
	t.Helper()
	if _, err := r.Update(context.Background(), "a", "", fn); err != nil {
		t.Fatal(err)
	}
}

func TestTrackCapAndDelete(t *testing.T) {
	r := newTestRegistry(map[string]*policy.Class{"default": {Name: "default", MaxConns: 2}})
	sb, _, err := r.CreateContext(context.Background(), CreateRequest{ID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	c1, c2, c3 := &closer{}, &closer{}, &closer{}
	if err := sb.Track(c1); err != nil {
		t.Fatal(err)
	}
	if err := sb.Track(c2); err != nil {
		t.Fatal(err)
	}
	if err := sb.Track(c1); err != nil {
		t.Errorf("tracking a connection twice: got %v, want nil", err)
	}
	if err := sb.Track(c3); !errors.Is(err, ErrTooManyConns) {
		t.Errorf("third connection: got %v, want ErrTooManyConns", err)
	}
	sb.Untrack(c2)
	if err := sb.Track(c3); err != nil {
		t.Errorf("after one closed: got %v, want nil", err)
	}
	if err := r.Delete(context.Background(), "a", ""); err != nil {
		t.Fatal(err)
	}
	if !c1.closed || !c3.closed || c2.closed {
		t.Errorf("delete closed c1=%v c2=%v c3=%v, want true false true", c1.closed, c2.closed, c3.closed)
	}
	if err := sb.Track(c2); !errors.Is(err, ErrDeleted) {
		t.Errorf("after delete: got %v, want ErrDeleted", err)
	}
}

func TestRateLimitBucketsStartFull(t *testing.T) {
	class := &policy.Class{Name: "default", RateLimit: &policy.RateLimit{Requests: 1, Per: time.Hour, Burst: 3}}
	r := newTestRegistry(map[string]*policy.Class{"default": class})
	sb, _, err := r.CreateContext(context.Background(), CreateRequest{ID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if ok, _ := sb.Allow(); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := sb.Allow()
	if ok || wait < 59*time.Minute {
		t.Fatalf("fourth request: got ok=%v wait=%v, want a refusal with about an hour to wait", ok, wait)
	}
	// A runtime limit starts a full bucket of its own.
	update(t, r, func(o *policy.Overrides) error {
		o.RateLimit = &policy.RateLimit{Requests: 1, Per: time.Hour, Burst: 2}
		return nil
	})
	for i := range 2 {
		if ok, _ := sb.Allow(); !ok {
			t.Fatalf("runtime bucket: request %d refused", i+1)
		}
	}
	if ok, _ := sb.Allow(); ok {
		t.Fatal("runtime bucket: third request allowed past a burst of 2")
	}
	// An unrelated change keeps the bucket as it is.
	update(t, r, func(o *policy.Overrides) error { o.Outbound = nil; return nil })
	if ok, _ := sb.Allow(); ok {
		t.Fatal("an unrelated override change refilled the bucket")
	}
	// null: back to the class's limit, full again.
	update(t, r, func(o *policy.Overrides) error { o.RateLimit = nil; return nil })
	if ok, _ := sb.Allow(); !ok {
		t.Fatal("back to the class's limit: bucket not full")
	}
}

func TestNoRateLimit(t *testing.T) {
	r := newTestRegistry(map[string]*policy.Class{"default": {Name: "default"}})
	sb, _, _ := r.CreateContext(context.Background(), CreateRequest{ID: "a"})
	for range 1000 {
		if ok, _ := sb.Allow(); !ok {
			t.Fatal("a sandbox without a rate limit was refused")
		}
	}
}

func TestStreamResetBudget(t *testing.T) {
	sb := newSandbox("a", &policy.Class{Name: "c"}, 0)
	for i := range ResetBurst {
		if !sb.StreamReset() {
			t.Fatalf("reset %d refused within the burst of %d", i+1, ResetBurst)
		}
	}
	if sb.StreamReset() {
		t.Errorf("reset %d allowed past the burst", ResetBurst+1)
	}
	if other := newSandbox("b", &policy.Class{Name: "c"}, 0); !other.StreamReset() {
		t.Error("another sandbox's budget was spent too")
	}
}
