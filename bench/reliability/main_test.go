package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sandgate/sandgate/integration/testbin"
)

// binary is the sandgate binary under test: $SANDGATE_BIN, or one built
// from this checkout.
var binary string

func TestMain(m *testing.M) { testbin.Main(m.Run, &binary) }

// tiny is every phase at its smallest: a few connections, a second or two
// each, one small fuzz target.
func tiny(dir string) Options {
	return Options{
		Bin: binary, Repo: testbin.RepoRoot, Work: filepath.Join(dir, "work"),
		Out: filepath.Join(dir, "RELIABILITY.md"), JSON: filepath.Join(dir, "reliability.json"),
		Phases: "all", Deadline: 5 * time.Minute, Probe: ProbeOptions{Rate: 50, Concurrency: 4},
		Flood: FloodOptions{Conns: 60, Rate: 200, Interval: 200 * time.Millisecond, Reopen: true,
			Before: time.Second, During: time.Second},
		Idle: IdleOptions{Conns: 40, Sandboxes: 2, Rate: 400, Workers: 8, Settle: 200 * time.Millisecond,
			Probe: time.Second, Check: 10},
		Neighbour: NeighbourOptions{Duration: time.Second, Warmup: 300 * time.Millisecond, Flood: 4, Loops: 2, Ratio: 2},
		Reset:     ResetOptions{Duration: time.Second, Warmup: 300 * time.Millisecond, Conns: 2, Batch: 16, P99: 10 * time.Millisecond},
		Bomb: BombOptions{Duration: time.Second, Concurrency: 1, MaxMemory: "512MiB", HandlerTimeout: time.Second,
			Settle: 300 * time.Millisecond, Kill: 2 << 30, Target: 1e9},
		Fuzz: FuzzOptions{Time: time.Second, Build: 3 * time.Minute, Match: `proxy/wire\.Fuzz`, Execs: 1e6},
		Soak: SoakOptions{Duration: 2 * time.Second, Swaps: 10, Concurrency: 2},
	}
}

// TestTinyRun runs every phase against the real binary in the tiny
// configuration and checks that each measured what it claims (counts, not
// timings) and that the report and the JSON hold no secret.
func TestTinyRun(t *testing.T) {
	o := tiny(t.TempDir())
	if err := run(context.Background(), &o, "test"); err != nil {
		t.Fatal(err)
	}
	res := readResults(t, o.JSON)
	if len(res.Phases) != len(phaseNames) {
		t.Fatalf("got %d phases, want %d", len(res.Phases), len(phaseNames))
	}
	for _, p := range res.Phases {
		if p.Status != "ran" {
			t.Errorf("phase %s: got status %q (%s), want ran", p.Name, p.Status, p.Error)
		}
	}
	checks := map[string]func(*testing.T, json.RawMessage){
		"flood": checkFlood, "idle": checkIdle, "neighbour": checkNeighbour, "reset": checkReset,
		"bomb": checkBomb, "fuzz": checkFuzz, "soak": checkSoak,
	}
	for _, p := range res.Phases {
		t.Run(p.Name, func(t *testing.T) { checks[p.Name](t, p.Data) })
	}
	checkReport(t, o)
}

// rawResults is Results with each phase's data left as JSON.
type rawResults struct {
	Phases []struct {
		Name, Status, Error string
		Data                json.RawMessage
	}
}

func readResults(t *testing.T, path string) rawResults {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r rawResults
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func decode[T any](t *testing.T, raw json.RawMessage) *T {
	t.Helper()
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
	return v
}

func checkFlood(t *testing.T, raw json.RawMessage) {
	r := decode[FloodResult](t, raw)
	if r.Flood.Attempts < int64(r.Options.Conns) || r.Flood.DialFailed != 0 {
		t.Errorf("flood: got %d dials (%d failed), want at least %d, none failed", r.Flood.Attempts, r.Flood.DialFailed, r.Options.Conns)
	}
	if r.During.Requests == 0 || r.During.Errors != 0 || r.Before.Errors != 0 {
		t.Errorf("the sandbox: got %d requests during, %d and %d failed: %v", r.During.Requests, r.Before.Errors, r.During.Errors, r.During.ErrorSamples)
	}
	if r.GatewayOpenPeak < 1 || r.RSSBefore == 0 || r.RSSPeak == 0 {
		t.Errorf("got open-connection peak %v, RSS %d / %d; want them read from the gateway", r.GatewayOpenPeak, r.RSSBefore, r.RSSPeak)
	}
}

func checkIdle(t *testing.T, raw json.RawMessage) {
	r := decode[IdleResult](t, raw)
	if r.Opened != r.Options.Conns || r.Checked == 0 || r.Alive != r.Checked {
		t.Errorf("got %d opened (%v), %d of %d alive; want %d opened, all alive", r.Opened, r.FailSamples, r.Alive, r.Checked, r.Options.Conns)
	}
	if r.GatewayOpen < float64(r.Opened) || r.RSSAfter == 0 {
		t.Errorf("got the gateway's open connections %v, RSS after %d; want at least %d and an RSS", r.GatewayOpen, r.RSSAfter, r.Opened)
	}
	if r.During.Requests == 0 || r.During.Errors != 0 {
		t.Errorf("the other sandbox: got %d requests, %d failed: %v", r.During.Requests, r.During.Errors, r.During.ErrorSamples)
	}
}

func checkReset(t *testing.T, raw json.RawMessage) {
	r := decode[ResetResult](t, raw)
	if r.Flood.Conns == 0 || r.Flood.Streams == 0 {
		t.Errorf("the flood: got %d connections, %d streams; want streams sent on h2 connections", r.Flood.Conns, r.Flood.Streams)
	}
	for kind := range r.Flood.DialErrs { // the gateway bars h2 to a flooding sandbox for a while
		if !strings.HasPrefix(kind, "h2 not offered") {
			t.Errorf("the flood: connections failed: %v", r.Flood.DialErrs)
		}
	}
	if r.During.Requests == 0 || r.During.Errors != 0 || r.Before.Errors != 0 {
		t.Errorf("the victim: got %d requests during, %d and %d failed: %v", r.During.Requests, r.Before.Errors, r.During.Errors, r.During.ErrorSamples)
	}
	if r.RSSBefore == 0 || r.RSSPeak == 0 || r.GatewayEnd != "" {
		t.Errorf("got RSS %d / %d, gateway end %q; want RSS read from a gateway that stayed up", r.RSSBefore, r.RSSPeak, r.GatewayEnd)
	}
}

func checkNeighbour(t *testing.T, raw json.RawMessage) {
	r := decode[NeighbourResult](t, raw)
	if len(r.Cases) != 4 {
		t.Fatalf("got %d cases, want 4", len(r.Cases))
	}
	for _, c := range r.Cases {
		if c.B.Requests == 0 || c.B.Errors != 0 {
			t.Errorf("%s: B got %d requests, %d failed: %v", c.Name, c.B.Requests, c.B.Errors, c.B.ErrorSamples)
		}
	}
	loops := r.Cases[2]
	if loops.ARequest == 0 || loops.A["502 error; reason=handler_error"] != loops.ARequest {
		t.Errorf("the looping handler's requests: got %d: %v; want every one 502 handler_error", loops.ARequest, loops.A)
	}
	if r.Cases[1].A["200"] == 0 {
		t.Errorf("A's plain requests: got %v, want some 200", r.Cases[1].A)
	}
}

func checkBomb(t *testing.T, raw json.RawMessage) {
	r := decode[BombResult](t, raw)
	if r.Requests == 0 || r.Outcomes["200"] != 0 {
		t.Errorf("bomb requests: got %d: %v; want some, none 200", r.Requests, r.Outcomes)
	}
	if r.RSSPeak == 0 || r.RSSPeak < r.RSSBefore {
		t.Errorf("got RSS before %d, peak %d", r.RSSBefore, r.RSSPeak)
	}
	if r.GatewayEnd == "" && (r.After.Requests == 0 || r.After.Errors != 0) {
		t.Errorf("the gateway is up but the bystander got %d requests after, %d failed", r.After.Requests, r.After.Errors)
	}
}

func checkFuzz(t *testing.T, raw json.RawMessage) {
	r := decode[FuzzResult](t, raw)
	if len(r.Targets) == 0 {
		t.Fatal("no fuzz target ran")
	}
	for _, f := range r.Targets {
		if f.Status != "ok" || f.Execs == 0 {
			t.Errorf("%s: got status %s, %d execs: %s", f.Name, f.Status, f.Execs, f.Detail)
		}
	}
}

func checkSoak(t *testing.T, raw json.RawMessage) {
	r := decode[SoakResult](t, raw)
	if r.Load.Requests == 0 || r.Load.Errors != 0 {
		t.Errorf("got %d requests, %d failed: %v", r.Load.Requests, r.Load.Errors, r.Load.ErrorSamples)
	}
	if r.Swaps == 0 || r.SwapsFailed != 0 || r.Versions["v1"] == 0 || r.Versions["v2"] == 0 {
		t.Errorf("got %d swaps, %d failed %v, versions seen %v; want both versions", r.Swaps, r.SwapsFailed, r.SwapSamples, r.Versions)
	}
}

// secretShape is the form of the run's injected value.
var secretShape = regexp.MustCompile(`rel-[0-9a-f]{32}`)

func checkReport(t *testing.T, o Options) {
	md, err := os.ReadFile(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := os.ReadFile(o.JSON)
	for _, ph := range phases {
		if !strings.Contains(string(md), ph.title) {
			t.Errorf("the report has no section %q", ph.title)
		}
	}
	if !strings.Contains(string(md), "targets met") {
		t.Error("the report has no summary of the targets")
	}
	if secretShape.Match(md) || secretShape.Match(js) {
		t.Error("the report or the JSON holds the injected secret")
	}
}
