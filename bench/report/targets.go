package main

import (
	"fmt"
	"strings"
)

// Check is one target of the issue, measured.
type Check struct {
	What     string
	Target   string
	Measured string
	Verdict  string // "met (...)", "MISSED (...)" or "no data"
	Met      bool
	Missing  bool
}

// atLeast checks got >= want; a ratio or a rate.
func atLeast(what string, got, want float64, unit string, ok bool) Check {
	c := Check{What: what, Target: fmt.Sprintf("≥ %s%s", num(want), unit), Measured: num(got) + unit}
	return c.judge(ok, got >= want, got/want, fmt.Sprintf("at %.0f%% of the target", 100*got/want))
}

// below checks got < want (strict) or got <= want.
func below(what string, got, want float64, unit string, strict, ok bool) Check {
	sign, met := "≤", got <= want
	if strict {
		sign, met = "<", got < want
	}
	c := Check{What: what, Target: fmt.Sprintf("%s %s%s", sign, num(want), unit), Measured: num(got) + unit}
	head := want / got
	if got <= 0 {
		head = 0
	}
	return c.judge(ok, met, head, fmt.Sprintf("%.2fx the limit", got/want))
}

func (c Check) judge(ok, met bool, headroom float64, miss string) Check {
	switch {
	case !ok:
		c.Verdict, c.Missing, c.Measured = "no data", true, "-"
	case met && headroom > 0:
		c.Verdict, c.Met = fmt.Sprintf("met (%.2fx headroom)", headroom), true
	case met:
		c.Verdict, c.Met = "met", true
	default:
		c.Verdict = "**MISSED** (" + miss + ")"
	}
	return c
}

// num prints a number with sensible precision.
func num(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	case x >= 1:
		return fmt.Sprintf("%.2f", x)
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", x), "0"), ".")
	}
}

// e2eChecks are the end-to-end targets for one sandgate system.
func e2eChecks(sum map[[2]string]*Summary, sg string) []Check {
	get := func(sys, shape string) (*Summary, bool) {
		s, ok := sum[[2]string{sys, shape}]
		return s, ok && s.Requests > 0
	}
	ratio := func(shape, other string, want float64, label string) Check {
		a, ok1 := get(sg, shape)
		b, ok2 := get(other, shape)
		if !ok1 || !ok2 || b.RPS == 0 {
			return atLeast(label, 0, want, "x", false)
		}
		return atLeast(label, a.RPS/b.RPS, want, "x", true)
	}
	squidKA, squidNC := bestSquid(sum, "keepalive"), bestSquid(sum, "newconn")
	var cs []Check
	cs = append(cs,
		ratio("keepalive", "mitmproxy", 20, "keep-alive req/s ÷ mitmproxy"),
		ratio("keepalive", squidKA, 1.5, "keep-alive req/s ÷ Squid ("+squidKA+", the faster config)"),
		ratio("keepalive", "direct", 0.5, "keep-alive req/s ÷ direct"),
		ratio("newconn", squidNC, 2.5, "new-connection req/s ÷ Squid ("+squidNC+", the faster config)"),
		ratio("newconn", "direct", 0.5, "new-connection req/s ÷ direct"))
	ka, okKA := get(sg, "keepalive")
	nc, okNC := get(sg, "newconn")
	d, okD := get("direct", "keepalive")
	cs = append(cs,
		below("keep-alive proxy CPU per request", val(ka, okKA).CPUReq, 0.15, " ms", false, okKA),
		below("new-connection proxy CPU per request", val(nc, okNC).CPUReq, 2, " ms", false, okNC),
		below("keep-alive p99 added over direct", val(ka, okKA).P99-val(d, okD).P99, 2, " ms", true, okKA && okD))
	return cs
}

func val(s *Summary, ok bool) *Summary {
	if !ok {
		return &Summary{}
	}
	return s
}

// bestSquid is the Squid configuration with the higher median req/s in
// shape: the ratio targets are held against Squid at its best.
func bestSquid(sum map[[2]string]*Summary, shape string) string {
	best, rps := "squid-stare", -1.0
	for _, k := range []string{"squid-stare", "squid-bump"} {
		if s, ok := sum[[2]string{k, shape}]; ok && s.RPS > rps {
			best, rps = k, s.RPS
		}
	}
	return best
}

// microChecks are the targets on micro-benchmarks and the sandbox run.
func microChecks(bs []Bench, sr *SandboxRun) []Check {
	h, okH := find(bs, "BenchmarkHandlerCall")
	n, okN := find(bs, "BenchmarkNew")
	cs := []Check{
		below("one handler call (BenchmarkHandlerCall), time", h.NsOp/1000, 20, " µs", true, okH),
		below("one handler call (BenchmarkHandlerCall), memory", h.BytesOp, 10000, " B", true, okH),
		below("sandbox CA creation (ca BenchmarkNew)", n.NsOp/1e6, 5, " ms", true, okN),
	}
	okS := sr != nil && sr.Created > 0
	s := val2(sr)
	cs = append(cs, below("sandbox creation through POST /v1/sandboxes, p50", s.P50ms, 5, " ms", true, okS))
	full := okS && sr.Created == sr.Requested && sr.Requested >= 10000
	peak := max(s.PeakRSS, s.RSSAfter)
	c := below(fmt.Sprintf("gateway RSS with %d sandboxes", s.Created), float64(peak)/1e6, 200, " MB", true, okS)
	if okS && !full {
		c.Verdict = "**MISSED** (only " + fmt.Sprint(s.Created) + " of 10000 created)"
		c.Met = false
	}
	return append(cs, c)
}

func val2(sr *SandboxRun) *SandboxRun {
	if sr == nil {
		return &SandboxRun{}
	}
	return sr
}
