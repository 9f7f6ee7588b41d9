package main

import (
	"fmt"
	"slices"
)

// Keys of the newer shapes' loads in the summary (system/variant).
const (
	keyDirect   = "direct"
	keySandgate = "sandgate-file"
	keyNone     = "sandgate-file/none"    // scrub: the handler reads no secret
	keySecrets  = "sandgate-file/secrets" // scrub: the handler reads three
	keyIdle     = "sandgate-file/idle"    // fair: the sandbox alone
	keyFlood    = "sandgate-file/flood"   // fair: beside the flood
)

// newerChecks are the targets of the newer shapes (issues 11 and 14), all
// on sandgate with file secrets.
func newerChecks(r Results, sum map[[2]string]*Summary) []Check {
	get := func(key, shape string) (*Summary, bool) {
		s, ok := sum[[2]string{key, shape}]
		return s, ok && s.Requests > 0
	}
	ran := func(shape string) bool { return slices.Contains(r.Settings.Shapes, shape) }
	ka, okKA := get(keySandgate, "keepalive")
	var cs []Check
	for _, shape := range []string{"h2-16", "h2-100"} {
		if !ran(shape) {
			continue
		}
		h2, ok := get(keySandgate, shape)
		c := below(fmt.Sprintf("HTTP/2, %s streams on one connection: proxy CPU per request", shape[3:]),
			val(h2, ok).CPUReq, val(ka, okKA).CPUReq, " ms", false, ok && okKA)
		c.Target = "≤ HTTP/1.1 keep-alive's"
		if okKA {
			c.Target += " (" + num(ka.CPUReq) + " ms)"
		}
		cs = append(cs, c)
	}
	if ran("ws") {
		ws, okWS := get(keySandgate, "ws")
		wd, okWD := get(keyDirect, "ws")
		cs = append(cs, below("WebSocket echo: p99 added over direct", val(ws, okWS).P99-val(wd, okWD).P99, 1, " ms", true, okWS && okWD))
	}
	if ran("scrub") {
		cs = append(cs, scrubCheck(r, sum))
	}
	if ran("fair") {
		idle, okI := get(keyIdle, "fair")
		flood, okF := get(keyFlood, "fair")
		ok := okI && okF && idle.P99 > 0
		ratio := 0.0
		if ok {
			ratio = flood.P99 / idle.P99
		}
		cs = append(cs, below("fairness: a paced sandbox's p99 beside a 64-connection flood, against its p99 alone", ratio, 2, "x", true, ok))
	}
	return cs
}

// scrubCheck holds the proxy CPU per MB of scrubbed bodies against the
// same bodies not scrubbed; it is not judged while scrubbing is not active.
func scrubCheck(r Results, sum map[[2]string]*Summary) Check {
	const what = "scrubbing a 10 MB body with three secret values: proxy CPU per MB, against the same body not scrubbed"
	sc, ok1 := sum[[2]string{keySecrets, "scrub"}]
	no, ok2 := sum[[2]string{keyNone, "scrub"}]
	ok := ok1 && ok2 && sc.CPUMB > 0 && no.CPUMB > 0
	if ok && !scrubActive(r, sc) {
		return Check{What: what, Target: "< 1.2x", Measured: fmt.Sprintf("%sx", num(sc.CPUMB/no.CPUMB)), Missing: true,
			Verdict: "not judged: scrubbing was not active (every value came through)"}
	}
	ratio := 0.0
	if ok {
		ratio = sc.CPUMB / no.CPUMB
	}
	c := below(what, ratio, 1.2, "x", true, ok)
	if ok1 && (sc.Errors > 0 || sc.WarmupErrors > 0 || len(sc.Failures) > 0) {
		// A value that came through (or a body that was not the upstream's)
		// fails the shape, whatever the CPU.
		c.Met, c.Verdict = false, fmt.Sprintf("**FAILED** (%d of %d scrubbed responses wrong, %d in warm-ups: see the scrubbing section)",
			sc.Errors, sc.Requests, sc.WarmupErrors)
	}
	return c
}

// scrubActive says whether sandgate scrubbed in this run: the binary holds
// package scrub, or bodies came redacted.
func scrubActive(r Results, secrets *Summary) bool {
	return r.ScrubLinked || (secrets != nil && secrets.Redacted > 0)
}
