package main

import (
	"fmt"
	"slices"
	"strings"
)

// alone is the command that runs the given shapes by themselves.
func alone(shapes, systems string) string {
	return fmt.Sprintf("BENCH_SHAPES=%s BENCH_SYSTEMS=%s BENCH_MICRO=0 BENCH_SANDBOXES=0 BENCH_PROFILE=0 make bench", shapes, systems)
}

// hasNewer says whether the run has any of the newer shapes.
func hasNewer(r Results) bool {
	for _, s := range r.Settings.Shapes {
		if s != "keepalive" && s != "newconn" {
			return true
		}
	}
	return false
}

func renderNewer(w writer, r Results, sum map[[2]string]*Summary) {
	has := func(s string) bool { return slices.Contains(r.Settings.Shapes, s) }
	if has("h2-16") || has("h2-100") {
		renderH2(w, r, sum)
	}
	if has("ws") {
		renderWS(w, r, sum)
	}
	if has("scrub") {
		renderScrub(w, r, sum)
	}
	if has("fair") {
		renderFair(w, r, sum)
	}
}

func renderH2(w writer, r Results, sum map[[2]string]*Summary) {
	n := names(r)
	w("## End to end: HTTP/2, 16 and 100 streams on one connection\n\n")
	w("The client opens one TLS connection with ALPN `h2` (Go `net/http`, `Transport.NewClientConn`; through `CONNECT` to the proxy) and keeps 16 or 100 requests in flight on it; a second upstream offers `h2` and HTTP/1.1, and the echo is checked on every response as in the HTTP/1.1 shapes. The HTTP/1.1 keep-alive rows (%d connections, an upstream of HTTP/1.1 only) are this run's, repeated for comparison. mitmproxy and Squid are not run in HTTP/2.\n\n",
		r.Settings.Concurrency)
	w("| load | system | req/s | p50 ms | p99 ms | errors / requests | proxy CPU ms/req (of it kernel) | client + upstream CPU ms/req | client connections | upstream spoken to in | req/s per round |\n")
	w("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, shape := range []string{"keepalive", "h2-16", "h2-100"} {
		for _, k := range []string{keyDirect, keySandgate} {
			s, ok := sum[[2]string{k, shape}]
			if !ok {
				continue
			}
			conns, up := fmt.Sprint(s.Conns), s.Upstream
			if shape == "keepalive" {
				conns, up = fmt.Sprint(r.Settings.Concurrency), "HTTP/1.1"
			}
			w("| %s | %s | %.0f | %.3f | %.3f | %d / %d | %s | %s | %s | %s | %s |\n", loadName(shape), n[k], s.RPS, s.P50, s.P99,
				s.Errors, s.Requests, proxyCPU(k, s), num(s.LoadReq), conns, up, perRound(s.PerRound, "%.0f"))
		}
	}
	w("\n")
	problems(w, r, sum, []string{"h2-16", "h2-100"}, []string{keyDirect, keySandgate})
	busy(w, r, "h2-16", "h2-100")
	w("Alone: `%s`\n\n", alone("keepalive,h2-16,h2-100", "direct,sandgate-file"))
}

func loadName(shape string) string {
	switch shape {
	case "keepalive":
		return "HTTP/1.1 keep-alive"
	case "h2-16":
		return "HTTP/2, 16 streams"
	case "h2-100":
		return "HTTP/2, 100 streams"
	}
	return shape
}

func renderWS(w writer, r Results, sum map[[2]string]*Summary) {
	n := names(r)
	w("## End to end: WebSocket echo\n\n")
	w("%d connections (`wss`, through `CONNECT` with the sandbox CA trusted), each sending a %d-byte binary message and waiting for its echo, checked byte for byte, before the next. The upgrade goes through the inject_header handler, and the upstream (github.com/coder/websocket) refuses it without the header; direct, the client sets the header itself. A message here is one message and its echo. Added = sandgate's median less direct's.\n\n",
		r.Settings.Concurrency, r.Settings.WSMsgSize)
	w("| system | messages/s | p50 ms | p99 ms | added p50 ms | added p99 ms | errors / messages | proxy CPU ms/message (of it kernel) | messages/s per round |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	d, okD := sum[[2]string{keyDirect, "ws"}]
	for _, k := range []string{keyDirect, keySandgate} {
		s, ok := sum[[2]string{k, "ws"}]
		if !ok {
			continue
		}
		a50, a99 := "-", "-"
		if k != keyDirect && okD {
			a50, a99 = fmt.Sprintf("%.3f", s.P50-d.P50), fmt.Sprintf("%.3f", s.P99-d.P99)
		}
		w("| %s | %.0f | %.3f | %.3f | %s | %s | %d / %d | %s | %s |\n", n[k], s.RPS, s.P50, s.P99, a50, a99, s.Errors, s.Requests,
			proxyCPU(k, s), perRound(s.PerRound, "%.0f"))
	}
	w("\n")
	problems(w, r, sum, []string{"ws"}, []string{keyDirect, keySandgate})
	busy(w, r, "ws")
	w("Alone: `%s`\n\n", alone("ws", "direct,sandgate-file"))
}

func renderScrub(w writer, r Results, sum map[[2]string]*Summary) {
	st := r.Settings
	w("## End to end: scrubbing secret values from a 10 MB response\n\n")
	w("One gateway, two sandboxes: one's handler reads three secrets (the bench's read_secrets, `secrets.get` three times), the other's reads none (set_header); both set a header and forward. The upstream's body is %d bytes of lines of random letters and digits carrying the %d values, each four times (once across one of its 32 KiB writes) and once less its last byte; a response header carries the first. %d downloads in flight on keep-alive connections; each body is checked whole against the upstream's, or the upstream's with every value as `[redacted]`. MB are 10^6 bytes of body.\n\n",
		st.BlobSize, st.BlobValues, st.ScrubConc)
	w("| handler | responses/s | MB/s | proxy CPU ms/MB | p50 ms | p99 ms | errors / responses | bodies redacted / intact | MB/s per round |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	rows := []struct{ key, name string }{{keyNone, "reads no secret (not scrubbed)"}, {keySecrets, "reads three secrets (scrubbed)"}}
	for _, row := range rows {
		s, ok := sum[[2]string{row.key, "scrub"}]
		if !ok {
			continue
		}
		w("| %s | %.1f | %.0f | %s | %.1f | %.1f | %d / %d | %d / %d | %s |\n", row.name, s.RPS, s.MBps, num(s.CPUMB), s.P50, s.P99,
			s.Errors, s.Requests, s.Redacted, s.Intact, perRound(roundFigures(r.Rounds, row.key, "scrub", mbps), "%.0f"))
	}
	w("\n")
	sc, ok1 := sum[[2]string{keySecrets, "scrub"}]
	no, ok2 := sum[[2]string{keyNone, "scrub"}]
	if ok1 && ok2 && no.CPUMB > 0 && no.MBps > 0 {
		w("Scrubbed ÷ not scrubbed: proxy CPU per MB %.2fx (per round: %s), MB/s %.2fx.\n\n", sc.CPUMB/no.CPUMB,
			pairedBy(r.Rounds, "scrub", keySecrets, keyNone, cpuPerMB), sc.MBps/no.MBps)
	}
	switch {
	case ok1 && scrubActive(r, sc):
		w("Scrubbing was active (the binary holds package scrub, or bodies came redacted): every body of the reading handler must come with each value as `[redacted]`, and a value coming through fails the round.\n\n")
	case ok1:
		w("**Scrubbing was not active**: the binary holds no package scrub and every body came back with its values. The two rows differ only by their handler; the target is not judged. Once scrubbing lands, this shape fails on any value that comes through.\n\n")
	}
	problems(w, r, sum, []string{"scrub"}, []string{keyNone, keySecrets})
	busy(w, r, "scrub")
	w("Alone: `%s`\n\n", alone("scrub", "sandgate-file"))
}

func renderFair(w writer, r Results, sum map[[2]string]*Summary) {
	st := r.Settings
	w("## End to end: one sandbox flooding, another served\n\n")
	w("The measured sandbox sends a normal keep-alive load: %d connections, each starting a request every %s at most (%d req/s in all, none sent to catch up after a slow one). Alone, the gateway serves only it; beside the flood, another sandbox of the same gateway keeps %d keep-alive connections busy with no pause, from just before the measured load's warm-up to after its end. Both sandboxes go through inject_header to the same echo upstream, checked on every response.\n\n",
		st.FairConc, st.FairInterval, perSecond(st.FairConc, st.FairInterval), st.FloodConc)
	w("| gateway | req/s | p50 ms | p99 ms | errors / requests | flooding sandbox req/s | its errors / requests | proxy CPU (cores) | p99 ms per round |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, row := range []struct{ key, name string }{{keyIdle, "alone"}, {keyFlood, "beside the flood"}} {
		s, ok := sum[[2]string{row.key, "fair"}]
		if !ok {
			continue
		}
		frps, ferr := "-", "-"
		if f := s.Flood; f != nil {
			frps, ferr = fmt.Sprintf("%.0f", f.RPS), fmt.Sprintf("%d / %d", f.Errors, f.Requests)
		}
		w("| %s | %.0f | %.3f | %.3f | %d / %d | %s | %s | %.2f | %s |\n", row.name, s.RPS, s.P50, s.P99, s.Errors, s.Requests, frps, ferr,
			s.Cores, perRound(roundFigures(r.Rounds, row.key, "fair", func(x Round) float64 { return x.Load.P99 }), "%.2f"))
	}
	w("\n")
	idle, ok1 := sum[[2]string{keyIdle, "fair"}]
	flood, ok2 := sum[[2]string{keyFlood, "fair"}]
	if ok1 && ok2 && idle.P99 > 0 {
		w("p99 beside the flood ÷ alone: %.2fx (per round: %s).\n\n", flood.P99/idle.P99,
			pairedBy(r.Rounds, "fair", keyFlood, keyIdle, func(x Round) float64 { return x.Load.P99 }))
	}
	if f := val(flood, ok2).Flood; f != nil && f.Errors > 0 {
		w("- the flooding sandbox: %d errors. %s\n", f.Errors, strings.Join(first(f.Samples, 3), "; "))
	}
	problems(w, r, sum, []string{"fair"}, []string{keyIdle, keyFlood})
	busy(w, r, "fair")
	w("Alone: `%s`\n\n", alone("fair", "sandgate-file"))
}
