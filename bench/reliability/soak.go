package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/proc"
)

// SoakOptions sizes the soak.
type SoakOptions struct {
	Duration    time.Duration // of the steady requests
	Swaps       float64       // script swaps a second (PUT /v1/scripts/{name}, two versions alternately)
	Concurrency int           // keep-alive workers
}

func (o *SoakOptions) register(fs *flag.FlagSet) {
	fs.DurationVar(&o.Duration, "soak-duration", 10*time.Minute, "soak: steady requests for this long")
	fs.Float64Var(&o.Swaps, "soak-swaps", 10, "soak: script swaps a second")
	fs.IntVar(&o.Concurrency, "soak-c", 8, "soak: concurrent keep-alive requests")
}

func (o *SoakOptions) estimate() time.Duration { return o.Duration + 5*time.Second }

// soakScript is version v of the soak's handler: both inject the secret,
// each names itself to the upstream.
func soakScript(v int) []byte {
	return fmt.Appendf(nil, `-- soak version %d: injects the shared secret and names its version.
return function(req, ctx)
  req:set_header(%q, secrets.get(%q, %q))
  req:set_header(%q, "v%d")
  return fetch(req)
end
`, v, "X-Auth-Token", secretPath, secretField, versionHeader, v)
}

// SoakResult is the soak's figures.
type SoakResult struct {
	Options     SoakOptions `json:"options"`
	Load        load.Result `json:"load"`
	Swaps       int         `json:"swaps"`
	SwapsFailed int         `json:"swaps_failed"`
	SwapSamples []string    `json:"swap_error_samples,omitempty"`
	SwapMaxMs   float64     `json:"swap_max_ms"`
	// Versions counts the requests the upstream received by the script
	// version that sent them: both must be there.
	Versions map[string]int `json:"versions_seen"`
	// Decisions is sandgate_requests_total by decision at the end: the
	// gateway's own count, to set against the client's.
	Decisions  map[string]float64 `json:"decisions"`
	RSSStart   uint64             `json:"rss_start_bytes"`
	RSSEnd     uint64             `json:"rss_end_bytes"`
	RSSPeak    uint64             `json:"rss_peak_bytes"`
	GatewayEnd string             `json:"gateway_end,omitempty"`
}

// soakPhase: steady requests through a handler while its script is
// replaced many times a second.
func soakPhase(ctx context.Context, e *env, p *Phase) error {
	o := e.opts.Soak
	g, err := e.startGateway("soak", gwConfig{Classes: map[string]classConfig{"rel": {}}})
	if err != nil {
		return err
	}
	defer g.stop()
	sb, err := g.createSandbox("soak", "rel")
	if err != nil {
		return err
	}
	if err := g.putScript("soak", soakScript(1)); err != nil {
		return err
	}
	if err := g.bind(sb, "soak", nil); err != nil {
		return err
	}
	r := &SoakResult{Options: o}
	p.Data = r
	base := e.seen.snapshot()
	r.RSSStart = g.rss()
	sampler := proc.Sample(g.PID(), time.Second)
	sctx, stopSwaps := context.WithCancel(ctx)
	swapped := make(chan struct{})
	go func() { defer close(swapped); e.swapScripts(sctx, g, r) }()
	e.progress("%d workers for %s, %g swaps a second", o.Concurrency, o.Duration, o.Swaps)
	r.Load = e.flat(ctx, sb, o.Concurrency, o.Duration)
	stopSwaps()
	<-swapped
	r.RSSPeak, r.RSSEnd = sampler.Stop(), g.rss()
	r.Versions = versionsSince(base, e.seen.snapshot())
	if m, err := g.metrics(); err == nil {
		r.Decisions = m.by("sandgate_requests_total", "decision")
	}
	r.GatewayEnd = g.ExitState()
	p.Targets = r.targets()
	return nil
}

// swapScripts puts version 2, 1, 2, ... of the soak script at the asked
// rate until ctx ends. A put slower than the interval delays the next one.
func (e *env) swapScripts(ctx context.Context, g *gateway, r *SoakResult) {
	every := time.Duration(float64(time.Second) / max(e.opts.Soak.Swaps, 0.01))
	tk := time.NewTicker(every)
	defer tk.Stop()
	for v := 2; ; v = 3 - v {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		t0 := time.Now()
		err := g.putScript("soak", soakScript(v))
		r.SwapMaxMs = max(r.SwapMaxMs, float64(time.Since(t0).Microseconds())/1000)
		r.Swaps++
		if err != nil {
			r.SwapsFailed++
			if len(r.SwapSamples) < 5 {
				r.SwapSamples = append(r.SwapSamples, e.red.clean(err.Error()))
			}
		}
		if r.Swaps%1000 == 0 {
			e.progress("%d swaps", r.Swaps)
		}
	}
}

// versionsSince is what the upstream saw by version between two snapshots.
func versionsSince(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d > 0 && k != "" {
			out[k] = d
		}
	}
	return out
}

func (r *SoakResult) targets() []Target {
	asked := r.Options.Swaps * r.Load.Seconds
	return []Target{
		{What: fmt.Sprintf("0 failed requests in a %s soak with scripts swapped %g times a second", r.Options.Duration, r.Options.Swaps),
			Got: fmt.Sprintf("%s requests, %d failed; the gateway's decisions: %s",
				thousands(int64(r.Load.Requests)), r.Load.Errors, counts(r.Decisions)),
			Met: r.Load.Requests > 0 && r.Load.Errors == 0 && r.GatewayEnd == ""},
		{What: fmt.Sprintf("the swaps happen at the asked rate (%g a second), every one accepted, both versions serve", r.Options.Swaps),
			Got: fmt.Sprintf("%.1f a second (%d of %.0f asked), slowest %.0f ms", float64(r.Swaps)/max(r.Load.Seconds, 1e-9), r.Swaps, asked, r.SwapMaxMs),
			Met: r.SwapsFailed == 0 && float64(r.Swaps) >= 0.95*asked && r.Versions["v1"] > 0 && r.Versions["v2"] > 0},
	}
}
