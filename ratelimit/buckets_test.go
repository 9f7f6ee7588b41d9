package ratelimit

import (
	"errors"
	"testing"
	"time"
)

func TestTakeStartsFullAndRefills(t *testing.T) {
	now := time.Unix(1000, 0)
	b := &Buckets{Now: func() time.Time { return now }}
	for i := range 3 {
		if ok, err := b.Take("k", 1, 3); !ok || err != nil {
			t.Fatalf("take %d: got %v %v, want true", i+1, ok, err)
		}
	}
	if ok, _ := b.Take("k", 1, 3); ok {
		t.Fatal("fourth take within the same instant: got true, want false")
	}
	now = now.Add(time.Second)
	if ok, _ := b.Take("k", 1, 3); !ok {
		t.Fatal("a second later: got false, want one token back")
	}
	if ok, _ := b.Take("other", 1, 1); !ok {
		t.Fatal("another key has a bucket of its own")
	}
}

func TestTakeChangesRateAndBurst(t *testing.T) {
	now := time.Unix(1000, 0)
	b := &Buckets{Now: func() time.Time { return now }}
	if ok, _ := b.Take("k", 1, 1); !ok {
		t.Fatal("first take refused")
	}
	if ok, _ := b.Take("k", 1, 1); ok {
		t.Fatal("burst 1 allowed a second take")
	}
	// 150ms at 1/s refilled 0.15 tokens: not enough, but the call switches
	// the bucket to 10/s, which refills the rest within the next 100ms.
	now = now.Add(150 * time.Millisecond)
	if ok, _ := b.Take("k", 10, 1); ok {
		t.Fatal("0.15 tokens: got true")
	}
	now = now.Add(100 * time.Millisecond)
	if ok, _ := b.Take("k", 10, 1); !ok {
		t.Fatal("at 10/s, 100ms later: got false")
	}
}

func TestTakeKeyCap(t *testing.T) {
	b := &Buckets{MaxKeys: 2}
	for _, k := range []string{"a", "b"} {
		if _, err := b.Take(k, 1, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Take("c", 1, 1); !errors.Is(err, ErrTooManyKeys) {
		t.Fatalf("third key: got %v, want ErrTooManyKeys", err)
	}
	if _, err := b.Take("a", 1, 1); err != nil {
		t.Fatalf("a known key after the cap: got %v, want nil", err)
	}
	if b.Len() != 2 {
		t.Fatalf("Len: got %d, want 2", b.Len())
	}
}

func TestTakeBadArguments(t *testing.T) {
	var b Buckets
	for _, tc := range []struct {
		rate  float64
		burst int
	}{{-1, 1}, {1, 0}} {
		if _, err := b.Take("k", tc.rate, tc.burst); err == nil {
			t.Errorf("Take(k, %v, %d): got nil error", tc.rate, tc.burst)
		}
	}
}
