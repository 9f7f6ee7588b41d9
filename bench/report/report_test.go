package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/sandgate/sandgate/engine
BenchmarkHandlerCall-2   	  282927	      3971 ns/op	    3200 B/op	      37 allocs/op
BenchmarkHandlerCall-2   	  309380	      3919 ns/op	    3200 B/op	      37 allocs/op
BenchmarkHandlerCall-2   	  297528	      4057 ns/op	    3300 B/op	      38 allocs/op
PASS
pkg: github.com/sandgate/sandgate/engine/hostpat
BenchmarkListMatch100/www.github.com-2         	 4193872	       289.5 ns/op	       0 B/op	       0 allocs/op
`

func TestParseBench(t *testing.T) {
	bs := parseBench(sample)
	if len(bs) != 2 {
		t.Fatalf("got %d benchmarks, want 2: %+v", len(bs), bs)
	}
	h, ok := find(bs, "BenchmarkHandlerCall")
	if !ok || h.NsOp != 3971 || h.BytesOp != 3200 || h.Alloc != 37 || h.Runs != 3 || !strings.HasSuffix(h.Pkg, "/engine") {
		t.Errorf("got %+v, want the medians 3971 ns, 3200 B, 37 allocs of 3 runs in engine", h)
	}
	if l, ok := find(bs, "BenchmarkListMatch100/www.github.com"); !ok || l.NsOp != 289.5 {
		t.Errorf("got %+v, want the sub-benchmark at 289.5 ns", l)
	}
}

func TestChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Check
		met  bool
		word string
	}{
		{"ratio met", atLeast("r", 3, 2.5, "x", true), true, "met"},
		{"ratio missed", atLeast("r", 1, 2.5, "x", true), false, "MISSED** (at 40% of the target)"},
		{"limit met", below("cpu", 0.1, 0.15, " ms", false, true), true, "met"},
		{"limit equal, not strict", below("cpu", 0.15, 0.15, " ms", false, true), true, "met"},
		{"limit equal, strict", below("p99", 2, 2, " ms", true, true), false, "MISSED"},
		{"limit missed", below("cpu", 0.3, 0.15, " ms", false, true), false, "2.00x the limit"},
		{"no data", atLeast("r", 0, 1, "x", false), false, "no data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.c.Met != tc.met || !strings.Contains(tc.c.Verdict, tc.word) {
				t.Errorf("got met=%v %q, want met=%v and %q", tc.c.Met, tc.c.Verdict, tc.met, tc.word)
			}
		})
	}
}
