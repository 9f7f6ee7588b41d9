package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// names are the systems' display names, by key.
func names(r Results) map[string]string {
	m := map[string]string{}
	for _, s := range r.Systems {
		m[s.Key] = s.Name
	}
	return m
}

func render(in *inputs) string {
	r := in.Results
	sum := summarize(r.Rounds)
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	date := r.Date
	if t, err := time.Parse(time.RFC3339, r.Date); err == nil {
		date = t.Format("2006-01-02 15:04 UTC")
	}
	w("# Benchmarks\n\n")
	w("Written by `make bench` (bench/run.sh) on %s; the comparison took %.1f minutes. Do not edit by hand: run `make bench` again.\n", date, r.Seconds/60)
	w("The raw data is in `bench/results/` (results.json, micro.txt, profile-top.txt).\n\n")
	renderTargets(w, in, sum)
	if strings.TrimSpace(in.Analysis) != "" {
		w("## What limits sandgate here\n\n")
		w("_Not generated: copied from %s, written by hand from profiles; it names the run it explains._\n\n", in.AnalysisFile)
		w("%s\n\n", strings.TrimSpace(in.Analysis))
	}
	for _, shape := range r.Settings.Shapes {
		if shape == "keepalive" || shape == "newconn" {
			renderShape(w, r, sum, shape)
		}
	}
	renderNewer(w, r, sum)
	renderRatios(w, r, sum)
	renderMicro(w, in)
	renderSandboxes(w, r.Sandboxes)
	if in.Profile != "" {
		w("## CPU profiles of sandgate\n\n")
		w("Taken by bench/compare during one extra keep-alive round of sandgate (file secrets) and, when the h2-16 shape ran, one extra round of it; neither is counted above.\n\n")
		w("```\n%s\n```\n\n", strings.TrimSpace(in.Profile))
	}
	renderMachine(w, in)
	renderMethod(w, in)
	return b.String()
}

type writer func(format string, a ...any)

func renderTargets(w writer, in *inputs, sum map[[2]string]*Summary) {
	r := in.Results
	n := names(r)
	w("## Targets\n\n")
	w("Each number is a median over %d rounds. A ratio is of median req/s. \"Headroom\" is how far past the target the result is; a miss says how far it fell short.\n\n", r.Settings.Rounds)
	var missed []string
	var sgs []string
	for _, k := range []string{"sandgate-file", "sandgate-vault"} {
		if _, ok := sum[[2]string{k, "keepalive"}]; ok {
			sgs = append(sgs, k)
		}
	}
	if len(sgs) > 0 {
		w("| target |")
		for _, k := range sgs {
			w(" %s | |", n[k])
		}
		w("\n|---|")
		for range sgs {
			w("---:|---|")
		}
		w("\n")
		per := map[string][]Check{}
		for _, k := range sgs {
			per[k] = e2eChecks(sum, k)
		}
		for i, c := range per[sgs[0]] {
			w("| %s %s |", c.What, c.Target)
			for _, k := range sgs {
				ck := per[k][i]
				w(" %s | %s |", ck.Measured, ck.Verdict)
				if !ck.Met {
					missed = append(missed, fmt.Sprintf("%s, %s: %s against %s", n[k], ck.What, ck.Measured, ck.Target))
				}
			}
			w("\n")
		}
		w("\n")
	}
	if newer := newerChecks(r, sum); hasNewer(r) {
		w("Targets of the HTTP/2, WebSocket, scrubbing and fairness shapes (sandgate with file secrets; their sections below):\n\n")
		w("| target | measured | |\n|---|---:|---|\n")
		for _, c := range newer {
			w("| %s %s | %s | %s |\n", c.What, c.Target, c.Measured, c.Verdict)
			switch {
			case c.Missing:
				missed = append(missed, fmt.Sprintf("%s: %s", c.What, c.Verdict))
			case !c.Met:
				missed = append(missed, fmt.Sprintf("%s: %s against %s", c.What, c.Measured, c.Target))
			}
		}
		w("\n")
	}
	w("| target | measured | |\n|---|---:|---|\n")
	for _, c := range microChecks(in.Micro, r.Sandboxes) {
		w("| %s %s | %s | %s |\n", c.What, c.Target, c.Measured, c.Verdict)
		if !c.Met {
			missed = append(missed, fmt.Sprintf("%s: %s against %s", c.What, c.Measured, c.Target))
		}
	}
	w("\n")
	if len(missed) == 0 {
		w("Every target was met in this run.\n\n")
		return
	}
	w("**Missed in this run (%d):**\n\n", len(missed))
	for _, m := range missed {
		w("- %s\n", m)
	}
	w("\n")
	renderBudget(w, r, sum)
}

// renderBudget says what the rate targets ask of the proxy's CPU on this
// machine, where the load generator and the upstream share the cores: a
// request through a proxy costs them L ms of CPU, so reaching R req/s
// leaves the proxy at most cores/R - L ms per request.
func renderBudget(w writer, r Results, sum map[[2]string]*Summary) {
	cores, _ := strconv.Atoi(r.Machine["cores"])
	sg, ok := sum[[2]string{"sandgate-file", "keepalive"}]
	if !ok || cores == 0 || sg.LoadReq <= 0 {
		return
	}
	w("**What the rate targets need on this machine.** The load generator and the upstream run on the same %d cores as the proxy; through sandgate they used %s ms of CPU per request (keep-alive). A rate of R req/s therefore leaves the proxy at most %d/R - %s ms of CPU per request, whatever it is:\n\n",
		cores, num(sg.LoadReq), cores*1000, num(sg.LoadReq))
	need := func(label, other string, ratio float64) {
		o, ok := sum[[2]string{other, "keepalive"}]
		if !ok || o.RPS == 0 {
			return
		}
		rate := ratio * o.RPS
		budget := float64(cores)*1000/rate - sg.LoadReq
		verdict := fmt.Sprintf("at most %s ms of proxy CPU per request", num(max(budget, 0)))
		if budget <= 0 {
			verdict = "more than the machine has even for a proxy using no CPU at all"
		}
		sq, okSq := sum[[2]string{bestSquid(sum, "keepalive"), "keepalive"}]
		squid := "not run"
		if okSq {
			squid = num(sq.CPUReq)
		}
		w("- %s: %.0f req/s needs %s (sandgate used %s, Squid %s).\n", label, rate, verdict, num(sg.CPUReq), squid)
	}
	need("keep-alive ≥ 0.5x direct", "direct", 0.5)
	need("keep-alive ≥ 20x mitmproxy", "mitmproxy", 20)
	need("keep-alive ≥ 1.5x Squid", bestSquid(sum, "keepalive"), 1.5)
	w("\n")
	if sq, ok := sum[[2]string{bestSquid(sum, "keepalive"), "keepalive"}]; ok && sg.SysReq > 0 && sq.SysReq > 0 {
		w("Of those figures, the kernel's share (system time in /proc: the loopback TCP work behind each read and write: both proxies write twice and read twice per request, counted with strace) was %s ms per request for sandgate and %s ms for Squid; the rest, user time, %s and %s ms.\n\n",
			num(sg.SysReq), num(sq.SysReq), num(sg.CPUReq-sg.SysReq), num(sq.CPUReq-sq.SysReq))
	}
}

func shapeTitle(shape string, conc int) string {
	if shape == "keepalive" {
		return fmt.Sprintf("keep-alive (%d connections, each reused for every request)", conc)
	}
	return fmt.Sprintf("a new connection per request (%d workers; TCP connect, CONNECT and TLS handshake every time)", conc)
}

func renderShape(w writer, r Results, sum map[[2]string]*Summary, shape string) {
	n := names(r)
	w("## End to end: %s\n\n", shapeTitle(shape, r.Settings.Concurrency))
	w("| system | req/s | p50 ms | p99 ms | errors / requests | proxy CPU ms/req (of it kernel) | client + upstream CPU ms/req | peak RSS MiB | req/s per round |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, k := range r.Settings.Order {
		s, ok := sum[[2]string{k, shape}]
		if !ok {
			continue
		}
		cpu, rss := num(s.CPUReq), fmt.Sprintf("%.1f", float64(s.PeakRSS)/(1<<20))
		if k == "direct" {
			cpu, rss = "-", "-"
		} else if s.SysReq > 0 {
			cpu += fmt.Sprintf(" (%s)", num(s.SysReq))
		}
		if s.AuxCPU > 0 {
			cpu += fmt.Sprintf(" (+%s Vault)", num(s.AuxCPU))
		}
		rounds := make([]string, len(s.PerRound))
		for i, x := range s.PerRound {
			rounds[i] = fmt.Sprintf("%.0f", x)
		}
		w("| %s | %.0f | %.3f | %.3f | %d / %d | %s | %s | %s | %s |\n", n[k], s.RPS, s.P50, s.P99, s.Errors, s.Requests, cpu,
			num(s.LoadReq), rss, strings.Join(rounds, ", "))
	}
	w("\n")
	for _, k := range r.Settings.Order {
		s, ok := sum[[2]string{k, shape}]
		if !ok {
			continue
		}
		if s.Errors > 0 || s.WarmupErrors > 0 || len(s.Failures) > 0 {
			w("- %s: %d errors (%d in warm-ups). %s\n", n[k], s.Errors, s.WarmupErrors,
				strings.Join(append(slices.Clone(s.Failures), first(s.Samples, 3)...), "; "))
		}
	}
	busy, other := machineLoad(r, shape)
	w("While counting, the machine's %s cores were %.0f%% busy (median over rounds); processes outside the benchmark used at most %.2f of a core in any round.\n\n",
		r.Machine["cores"], 100*busy, other)
	w("TLS as the client saw it: ")
	var tls []string
	for _, k := range r.Settings.Order {
		if s, ok := sum[[2]string{k, shape}]; ok && s.TLS != "" {
			tls = append(tls, fmt.Sprintf("%s: %s", k, s.TLS))
		}
	}
	w("%s.\n\n", strings.Join(tls, "; "))
}

// machineLoad is the median share of the machine busy while counting and
// the most CPU (in cores) that other processes used, over shape's rounds.
func machineLoad(r Results, shape string) (busy, other float64) {
	cores, _ := strconv.Atoi(r.Machine["cores"])
	var shares []float64
	for _, rd := range r.Rounds {
		if rd.Shape != shape || rd.Load.Seconds <= 0 || cores == 0 {
			continue
		}
		shares = append(shares, rd.MachineCPU/1000/rd.Load.Seconds/float64(cores))
		other = max(other, rd.OtherCores)
	}
	return median(shares), other
}

func first(ss []string, n int) []string {
	if len(ss) > n {
		return ss[:n]
	}
	return ss
}

func renderRatios(w writer, r Results, sum map[[2]string]*Summary) {
	n := names(r)
	w("## Ratios of median req/s\n\n| sandgate ÷ | shape |")
	sgs := []string{"sandgate-file", "sandgate-vault"}
	for _, k := range sgs {
		w(" %s |", n[k])
	}
	w(" per round (paired, %s) |\n|---|---|---:|---:|---|\n", n["sandgate-file"])
	for _, shape := range r.Settings.Shapes {
		for _, other := range r.Settings.Order {
			if strings.HasPrefix(other, "sandgate") {
				continue
			}
			o, ok := sum[[2]string{other, shape}]
			if !ok || o.RPS == 0 {
				continue
			}
			w("| %s | %s |", n[other], shape)
			for _, k := range sgs {
				if s, ok := sum[[2]string{k, shape}]; ok {
					w(" %.2fx |", s.RPS/o.RPS)
				} else {
					w(" - |")
				}
			}
			w(" %s |\n", pairedRatios(r.Rounds, "sandgate-file", other, shape))
		}
	}
	w("\n")
}

// pairedRatios is a's req/s over b's in each round of shape: the two ran
// within seconds of each other, so drift of the machine between rounds
// cancels out.
func pairedRatios(rounds []Round, a, b, shape string) string {
	by := map[[2]any]float64{}
	for _, r := range rounds {
		if r.Shape == shape {
			by[[2]any{r.System, r.Round}] = r.Load.RPS
		}
	}
	var out []string
	for i := 1; ; i++ {
		x, ok1 := by[[2]any{a, i}]
		y, ok2 := by[[2]any{b, i}]
		if !ok1 || !ok2 {
			break
		}
		if y > 0 {
			out = append(out, fmt.Sprintf("%.2fx", x/y))
		}
	}
	return strings.Join(out, ", ")
}

func renderMicro(w writer, in *inputs) {
	w("## Micro-benchmarks\n\n")
	if len(in.Micro) == 0 {
		w("Not run (BENCH_MICRO=0).\n\n")
		return
	}
	w("Medians of `-count` runs. Command: `%s`\n\n", in.MicroCmd)
	w("| package | benchmark | time/op | B/op | allocs/op | runs |\n|---|---|---:|---:|---:|---:|\n")
	for _, b := range in.Micro {
		w("| %s | %s | %s | %.0f | %.0f | %d |\n", strings.TrimPrefix(b.Pkg, "github.com/sandgate/sandgate/"), b.Name,
			duration(b.NsOp), b.BytesOp, b.Alloc, b.Runs)
	}
	w("\n")
	if _, ok := find(in.Micro, "BenchmarkHandlerInFlight/inflight=1"); ok {
		w("BenchmarkHandlerInFlight (bench/) calls the shipped inject_header handler from 1 to 32 goroutines at once, each call holding its Lua state through a simulated 200 µs fetch: its time/op is wall time, mostly sleeping; B/op and allocs/op per call show whether Lua states are reused (flat) or made anew (growing) as calls in flight outnumber the pool.\n\n")
	}
}

func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.1f ns", ns)
}

func renderSandboxes(w writer, sr *SandboxRun) {
	if sr == nil {
		return
	}
	w("## %d sandboxes through the admin API\n\n", sr.Requested)
	w("A fresh gateway (file secrets); `POST /v1/sandboxes` with %d requests in flight, each making the sandbox's ECDSA P-256 CA.\n\n", sr.Workers)
	w("| created | failed | time | per request p50 / p99 | RSS before | RSS after | peak RSS (sampled) | VmHWM | /v1/status count |\n")
	w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	w("| %d | %d | %.2f s | %.2f / %.2f ms | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %d |\n\n", sr.Created, sr.Failed, sr.Seconds,
		sr.P50ms, sr.P99ms, mib(sr.RSSBefore), mib(sr.RSSAfter), mib(sr.PeakRSS), mib(sr.HWM), sr.StatusCount)
	if sr.LiveHeap > 0 {
		w("After a forced GC (`/debug/pprof/heap?gc=1`), the live heap was %.1f MiB (%.1f KiB per sandbox) and the RSS %.1f MiB: the rest of the RSS after creation is garbage not yet collected and heap not yet returned to the system, which the gateway's GC setting (GOGC) governs.\n\n",
			mib(sr.LiveHeap), float64(sr.LiveHeap)/1024/float64(max(sr.Created, 1)), mib(sr.RSSAfterGC))
	}
	if sr.Error != "" {
		w("Error: `%s`\n\n", strings.TrimSpace(sr.Error))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func renderMachine(w writer, in *inputs) {
	r := in.Results
	m := r.Machine
	w("## Machine and versions\n\n")
	w("- CPU: %s, %s cores; memory %s; kernel %s; Debian %s\n", m["cpu"], m["cores"], m["memory"], m["kernel"], m["debian"])
	keys := make([]string, 0, len(r.Versions))
	for k := range r.Versions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w("- %s: %s\n", k, r.Versions[k])
	}
	w("\n")
}

// tmpDir matches the temporary directory run.sh builds the tools in.
var tmpDir = regexp.MustCompile(`/tmp/tmp\.[A-Za-z0-9]+`)

func renderMethod(w writer, in *inputs) {
	r := in.Results
	s := r.Settings
	w("## How it was measured\n\n")
	w("- Commands: `make bench` runs `bash bench/run.sh`, which runs the micro-benchmarks above, then (with `$tmp` the run's temporary directory, where it builds bench/compare and bench/loadgen)\n  `%s`,\n  then bench/report.\n", tmpDir.ReplaceAllString(r.Command, "$$tmp"))
	w("- Scenario (keep-alive and new connection; the other shapes say theirs in their sections): the client (bench/loadgen, Go `net/http`) sends `GET %s://%s:<port>/echo` through each proxy with `CONNECT` and proxy credentials, verifying TLS against that proxy's CA. The proxy intercepts TLS, adds `X-Auth-Token: <secret>`, verifies the upstream (an ECDSA P-256 certificate from its own CA, HTTP/1.1, on 127.0.0.1) and forwards. The upstream's body is the header values it received; the generator checks it on every response, and a missing or different value is an error. Direct: no proxy, the client sets the header itself.\n", "https", s.Host)
	w("- Rounds: %d per system and shape (and per variant: scrubbed or not, alone or beside the flood), systems alternating in the order %s; each round is a %s warm-up (not counted), then %s or %d requests, whichever ends first, at %d concurrent workers. The tables show medians over rounds.\n",
		s.Rounds, strings.Join(s.Order, ", "), s.Warmup, s.Duration, s.MaxRequests, s.Concurrency)
	w("- Proxy CPU: utime+stime (+ reaped children) from /proc/<pid>/stat of the proxy and all its descendants (Squid's helpers), read when counting starts and when the last counted request ends, divided by the requests counted. For sandgate with Vault, Vault's own CPU is shown in brackets. Peak RSS: the sum of VmRSS over the same process tree, sampled every 100 ms during the round (warm-up included).\n")
	w("- Everything shares one machine: the load generator, the upstream and the proxy run on the same %s cores, so the direct system is the limit of this machine, not of a network. Nothing is pinned to a core.\n", r.Machine["cores"])
	w("- Each proxy logs one line per request to a file (sandgate's audit log, Squid's access.log, mitmdump's flow log), as deployed.\n")
	w("- The machine's busy share comes from /proc/stat; \"processes outside the benchmark\" is that busy time less the CPU of the proxy, Vault, the load generator and bench/compare (which serves the upstream).\n")
	w("- A shorter run: `BENCH_ROUNDS=1 BENCH_DURATION=3s BENCH_SYSTEMS=direct,sandgate-file make bench` (also BENCH_SHAPES, BENCH_CONCURRENCY, BENCH_SANDBOXES, BENCH_PROFILE=0, BENCH_MICRO=0). `go test ./bench` runs the smoke test: a few hundred requests through the real binary in every shape's client, checked, never timed.\n\n")
	w("Systems:\n\n")
	for _, sys := range r.Systems {
		w("- **%s** (%s): %s\n", sys.Name, sys.Version, strings.Join(sys.Notes, "; "))
	}
	w("\n")
}
