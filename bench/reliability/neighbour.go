package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/proc"
	"github.com/sandgate/sandgate/config"
)

// NeighbourOptions sizes the noisy-neighbour phase.
type NeighbourOptions struct {
	Duration time.Duration // each measurement of sandbox B
	Warmup   time.Duration // before each: B's warm-up, and A's head start
	Flood    int           // A's connections in case (a)
	Loops    int           // A's looping handler calls at once in case (b)
	// RateLimit, if set ("100/1s/200": requests/per/burst), is the rate
	// limit of A's class; none by default, as in the config's defaults.
	RateLimit string
	Ratio     float64 // the target: B's p99 under A at most this times its idle p99
}

func (o *NeighbourOptions) register(fs *flag.FlagSet) {
	fs.DurationVar(&o.Duration, "neighbour-duration", 8*time.Second, "neighbour: each measurement of sandbox B")
	fs.DurationVar(&o.Warmup, "neighbour-warmup", 2*time.Second, "neighbour: B's warm-up and A's head start")
	fs.IntVar(&o.Flood, "neighbour-flood", 64, "neighbour: A's keep-alive connections sending with no pause, case (a)")
	fs.IntVar(&o.Loops, "neighbour-loops", 16, "neighbour: A's looping handler calls at once, case (b)")
	fs.StringVar(&o.RateLimit, "neighbour-rate-limit", "", "neighbour: rate_limit of A's class as requests/per/burst, e.g. 100/1s/200 (default: none)")
	fs.Float64Var(&o.Ratio, "neighbour-ratio", 2, "neighbour: target ratio of B's p99 under A to its idle p99")
}

func (o *NeighbourOptions) estimate() time.Duration {
	return 4*(o.Duration+o.Warmup) + 2*o.Warmup + 3*time.Second
}

// NeighbourResult is the noisy-neighbour phase's figures.
type NeighbourResult struct {
	Options            NeighbourOptions `json:"options"`
	Probe              ProbeOptions     `json:"probe"`
	HandlerTimeout     string           `json:"handler_timeout"`
	HandlerConcurrency string           `json:"handler_concurrency"`
	RateLimitA         string           `json:"rate_limit_a"`
	Cases              []NeighbourCase  `json:"cases"`
	GatewayEnd         string           `json:"gateway_end,omitempty"`
}

// NeighbourCase is B's measurement under one behaviour of A.
type NeighbourCase struct {
	Name     string         `json:"name"`
	B        load.Result    `json:"b"`
	Ratio    float64        `json:"p99_ratio"` // B's p99 / its idle p99 (0 for the idle case)
	A        map[string]int `json:"a_outcomes,omitempty"`
	ARequest int            `json:"a_requests"`
	CPUms    float64        `json:"gateway_cpu_ms"` // the gateway's CPU time during B's measurement
}

// neighbourPhase: B's p99 alone, then while A floods, then while A's
// handlers loop.
func neighbourPhase(ctx context.Context, e *env, p *Phase) error {
	o := e.opts.Neighbour
	rl, err := parseRateLimit(o.RateLimit)
	if err != nil {
		return err
	}
	g, err := e.startGateway("neighbour", gwConfig{Classes: map[string]classConfig{"noisy": {RateLimit: rl}, "quiet": {}}})
	if err != nil {
		return err
	}
	defer g.stop()
	a, err := g.createSandbox("a", "noisy")
	if err != nil {
		return err
	}
	b, err := g.createSandbox("b", "quiet")
	if err != nil {
		return err
	}
	r := &NeighbourResult{Options: o, Probe: e.opts.Probe, HandlerTimeout: config.DefaultHandlerTimeout.String(),
		HandlerConcurrency: "0 (GOMAXPROCS)", RateLimitA: rl.String()}
	p.Data = r
	e.progress("B alone for %s", o.Duration)
	r.Cases = append(r.Cases, e.measureB(ctx, g, b, "idle gateway", nil, 0))
	e.progress("B while A sends with no pause on %d connections", o.Flood)
	r.Cases = append(r.Cases, e.measureB(ctx, g, b, fmt.Sprintf("(a) A: %d connections, no pause", o.Flood), a, o.Flood))
	if err := g.bind(a, "loop", nil); err != nil {
		return err
	}
	e.progress("B while %d of A's handlers loop", o.Loops)
	r.Cases = append(r.Cases, e.measureB(ctx, g, b, fmt.Sprintf("(b) A: %d looping handlers at once", o.Loops), a, o.Loops))
	e.progress("B alone again, to show how much the machine's noise moves the idle figure")
	r.Cases = append(r.Cases, e.measureB(ctx, g, b, "idle gateway again (A stopped)", nil, 0))
	idle := r.Cases[0].B.P99
	for i := range r.Cases[1:] {
		if idle > 0 {
			r.Cases[i+1].Ratio = r.Cases[i+1].B.P99 / idle
		}
	}
	r.GatewayEnd = g.ExitState()
	p.Targets = r.targets()
	return nil
}

// measureB runs B for the phase's duration while A (if not nil) hammers
// with c workers, started Warmup earlier.
func (e *env) measureB(ctx context.Context, g *gateway, b *sandbox, name string, a *sandbox, c int) NeighbourCase {
	o := e.opts.Neighbour
	nc := NeighbourCase{Name: name}
	var tl *tally
	actx, stopA := context.WithCancel(ctx)
	done := make(chan struct{})
	if a != nil {
		go func() { defer close(done); tl = e.hammer(actx, a, c) }()
		sleep(ctx, o.Warmup)
	} else {
		close(done)
	}
	cpu0 := proc.CPU(g.PID())
	nc.B = e.probe(ctx, b, o.Warmup, o.Duration)
	nc.CPUms = float64((proc.CPU(g.PID()) - cpu0).Milliseconds())
	stopA()
	<-done
	if tl != nil {
		nc.ARequest, nc.A = tl.snapshot()
	}
	return nc
}

func (r *NeighbourResult) targets() []Target {
	var out []Target
	idle, again := r.Cases[0].B, ""
	if len(r.Cases) == 4 {
		again = fmt.Sprintf(" (%.1f ms idle again afterwards)", r.Cases[3].B.P99)
	}
	for _, c := range r.Cases[1:min(3, len(r.Cases))] { // (a) and (b); the last is the noise check
		out = append(out, Target{
			What: fmt.Sprintf("B's p99 under %s under %gx its idle p99", c.Name, r.Options.Ratio),
			Got: fmt.Sprintf("%.1f ms vs %.1f ms idle%s: %.2fx; B: %d requests, %d failed",
				c.B.P99, idle.P99, again, c.Ratio, c.B.Requests, c.B.Errors),
			Met: c.Ratio > 0 && c.Ratio < r.Options.Ratio && c.B.Errors == 0,
		})
	}
	return out
}

// parseRateLimit reads "requests/per/burst"; "" is none.
func parseRateLimit(s string) (*rateLimit, error) {
	if s == "" {
		return nil, nil
	}
	bad := fmt.Errorf("-neighbour-rate-limit %q: want requests/per/burst, e.g. 100/1s/200", s)
	f := strings.Split(s, "/")
	if len(f) != 3 {
		return nil, bad
	}
	req, err1 := strconv.Atoi(f[0])
	per, err2 := time.ParseDuration(f[1])
	burst, err3 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || err3 != nil || req <= 0 || per <= 0 || burst < 0 {
		return nil, bad
	}
	return &rateLimit{Requests: req, Per: per, Burst: burst}, nil
}
