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

func TestNewerChecks(t *testing.T) {
	round := func(shape, system, variant string, cpuMs, p99 float64, bytes int64) Round {
		r := Round{Shape: shape, Round: 1, System: system, Variant: variant, CPUms: cpuMs, CPUReq: cpuMs / 1000}
		r.Load.Requests, r.Load.OK, r.Load.Seconds, r.Load.P99, r.Load.Bytes = 1000, 1000, 1, p99, bytes
		return r
	}
	r := Results{Settings: Settings{Shapes: []string{"keepalive", "h2-16", "scrub", "fair"}}, Rounds: []Round{
		round("keepalive", "sandgate-file", "", 100, 4, 0),
		round("h2-16", "sandgate-file", "", 120, 4, 0),
		round("scrub", "sandgate-file", "none", 1000, 100, 100e6),
		round("scrub", "sandgate-file", "secrets", 1100, 100, 100e6),
		round("fair", "sandgate-file", "idle", 10, 2, 0),
		round("fair", "sandgate-file", "flood", 10, 3, 0),
	}}
	cs := newerChecks(r, summarize(r.Rounds))
	if len(cs) != 3 {
		t.Fatalf("got %d checks, want 3 (h2-16, scrub, fair): %+v", len(cs), cs)
	}
	if cs[0].Met || !strings.Contains(cs[0].Target, "0.1 ms") {
		t.Errorf("h2: got met=%v, target %q; want missed against keep-alive's 0.1 ms", cs[0].Met, cs[0].Target)
	}
	if !cs[1].Missing || !strings.Contains(cs[1].Verdict, "not judged") {
		t.Errorf("scrub without scrubbing: got %q, want not judged", cs[1].Verdict)
	}
	if !cs[2].Met || cs[2].Measured != "1.50x" {
		t.Errorf("fair: got met=%v at %s, want met at 1.50x", cs[2].Met, cs[2].Measured)
	}
	r.ScrubLinked = true
	if c := newerChecks(r, summarize(r.Rounds))[1]; !c.Met || c.Measured != "1.10x" {
		t.Errorf("scrub with scrubbing: got met=%v at %s, want met at 1.10x", c.Met, c.Measured)
	}
	r.Rounds[3].Load.OK, r.Rounds[3].Load.Errors = 999, 1 // a value came through once
	if c := newerChecks(r, summarize(r.Rounds))[1]; c.Met || !strings.Contains(c.Verdict, "FAILED") {
		t.Errorf("scrub letting a value through: got met=%v %q, want FAILED", c.Met, c.Verdict)
	}
}
