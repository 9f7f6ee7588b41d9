package main

import (
	"context"
	"flag"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/proc"
)

// BombOptions sizes the memory-bomb phase.
type BombOptions struct {
	Duration    time.Duration // how long the bomb handler is called
	Concurrency int           // calls at once
	MaxMemory   string        // the gateway's limits.max_memory
	// HandlerTimeout is the gateway's limits.handler_timeout: long, so that
	// the memory ceiling, not the time limit, has to stop the handler.
	HandlerTimeout time.Duration
	Settle         time.Duration // after the last bomb call, before RSS "after"
	// Kill is the harness's own safety stop: past this RSS the gateway is
	// killed, so that a gateway without a working ceiling cannot take the
	// machine's memory. Reported when it happens.
	Kill   uint64
	Target uint64 // the target: peak RSS under this
}

func (o *BombOptions) register(fs *flag.FlagSet) {
	fs.DurationVar(&o.Duration, "bomb-duration", 15*time.Second, "bomb: how long the memory-bomb handler is called")
	fs.IntVar(&o.Concurrency, "bomb-c", 4, "bomb: bomb calls at once")
	fs.StringVar(&o.MaxMemory, "bomb-max-memory", "512MiB", "bomb: the gateway's limits.max_memory")
	fs.DurationVar(&o.HandlerTimeout, "bomb-handler-timeout", 10*time.Second, "bomb: the gateway's limits.handler_timeout")
	fs.DurationVar(&o.Settle, "bomb-settle", 3*time.Second, "bomb: wait after the last bomb call before reading RSS again")
	fs.Uint64Var(&o.Kill, "bomb-kill", 3<<30, "bomb: safety stop: kill the gateway past this RSS in bytes")
	fs.Uint64Var(&o.Target, "bomb-target", 1e9, "bomb: target peak RSS in bytes")
}

func (o *BombOptions) estimate() time.Duration {
	return o.Duration + o.HandlerTimeout + o.Settle + 6*time.Second
}

// BombResult is the memory-bomb phase's figures.
type BombResult struct {
	Options   BombOptions    `json:"options"`
	Probe     ProbeOptions   `json:"probe"`
	RSSBefore uint64         `json:"rss_before_bytes"`
	RSSPeak   uint64         `json:"rss_peak_bytes"`  // sampled every 50 ms, from the first bomb call to the end
	RSSAfter  uint64         `json:"rss_after_bytes"` // Settle after the last bomb call ended
	Killed    bool           `json:"killed_by_harness"`
	Requests  int            `json:"bomb_requests"`
	Outcomes  map[string]int `json:"bomb_outcomes"`
	// Bystander is another sandbox's requests during the bomb; After, a
	// few of its requests once the bomb has stopped.
	Bystander  load.Result `json:"bystander_during"`
	After      load.Result `json:"bystander_after"`
	GatewayEnd string      `json:"gateway_end,omitempty"`
	// From /metrics at the end: handler errors and time-outs of the bomb.
	HandlerErrors   float64 `json:"handler_errors"`
	HandlerTimeouts float64 `json:"handler_timeouts"`
}

// bombPhase: a handler that grows a table without end, called
// concurrently, on a gateway with limits.max_memory set.
func bombPhase(ctx context.Context, e *env, p *Phase) error {
	o := e.opts.Bomb
	g, err := e.startGateway("bomb", gwConfig{MaxMemory: o.MaxMemory, HandlerTimeout: o.HandlerTimeout, Classes: map[string]classConfig{"rel": {}}})
	if err != nil {
		return err
	}
	defer g.stop()
	bomber, err := g.createSandbox("bomber", "rel")
	if err != nil {
		return err
	}
	bystander, err := g.createSandbox("bystander", "rel")
	if err != nil {
		return err
	}
	if err := g.bind(bomber, "bomb", nil); err != nil {
		return err
	}
	r := &BombResult{Options: o, Probe: e.opts.Probe}
	p.Data = r
	e.probe(ctx, bystander, 0, time.Second) // warm-up: Lua states, leaf certificate
	r.RSSBefore = g.rss()
	w := watchRSS(ctx, g, 50*time.Millisecond, o.Kill)
	e.progress("%d bomb calls at once for %s (max_memory %s, handler_timeout %s, safety stop at %s RSS)",
		o.Concurrency, o.Duration, o.MaxMemory, o.HandlerTimeout, mib(o.Kill))
	bctx, stopBomb := context.WithTimeout(ctx, o.Duration)
	defer stopBomb()
	done := make(chan *tally)
	go func() { done <- e.hammer(bctx, bomber, o.Concurrency) }()
	r.Bystander = e.probe(ctx, bystander, 0, o.Duration)
	e.progress("waiting for the bomb calls in flight")
	r.Requests, r.Outcomes = (<-done).snapshot()
	sleep(ctx, o.Settle)
	r.RSSAfter = g.rss()
	r.After = e.probe(ctx, bystander, 0, 2*time.Second)
	r.RSSPeak, r.Killed = w.stop()
	if m, err := g.metrics(); err == nil {
		r.HandlerErrors = m.sum("sandgate_handler_errors_total", map[string]string{"handler": "bomb"})
		r.HandlerTimeouts = m.sum("sandgate_handler_timeouts_total", map[string]string{"handler": "bomb"})
	}
	r.GatewayEnd = g.ExitState()
	p.Targets = r.targets()
	return nil
}

func (r *BombResult) targets() []Target {
	handlerErr := r.Outcomes["502 error; reason=handler_error"]
	return []Target{
		{What: fmt.Sprintf("peak RSS under %.3g GB with max_memory %s", float64(r.Options.Target)/1e9, r.Options.MaxMemory),
			Got: peakText(r), Met: !r.Killed && r.RSSPeak < r.Options.Target},
		{What: "the gateway stays up and serves another sandbox",
			Got: fmt.Sprintf("%s; bystander during: %d requests, %d failed; after: %d requests, %d failed",
				upText(r.GatewayEnd), r.Bystander.Requests, r.Bystander.Errors, r.After.Requests, r.After.Errors),
			Met: r.GatewayEnd == "" && r.After.Requests > 0 && r.After.Errors == 0 && r.Bystander.Errors == 0},
		{What: "every bomb request gets 502 handler_error",
			Got: fmt.Sprintf("%d of %d (the gateway counted %.0f handler errors, %.0f of them time-outs)",
				handlerErr, r.Requests, r.HandlerErrors, r.HandlerTimeouts),
			Met: r.Requests > 0 && handlerErr == r.Requests},
	}
}

func peakText(r *BombResult) string {
	if r.Killed {
		return fmt.Sprintf("passed the harness's safety stop of %s: killed", mib(r.Options.Kill))
	}
	return fmt.Sprintf("%s (before: %s)", mib(r.RSSPeak), mib(r.RSSBefore))
}

// rssWatch samples the gateway's RSS and kills it past a limit.
type rssWatch struct {
	stopc  chan struct{}
	done   chan struct{}
	peak   atomic.Uint64
	killed atomic.Bool
}

func watchRSS(ctx context.Context, g *gateway, every time.Duration, limit uint64) *rssWatch {
	w := &rssWatch{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			rss := proc.Mem(g.PID()).RSS
			if rss > w.peak.Load() {
				w.peak.Store(rss)
			}
			if limit > 0 && rss > limit && !g.Exited() {
				g.e.progress("RSS %s passed the safety stop: killing the gateway", mib(rss))
				w.killed.Store(true)
				g.Kill()
			}
			select {
			case <-w.stopc:
				return
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	}()
	return w
}

func (w *rssWatch) stop() (peak uint64, killed bool) {
	close(w.stopc)
	<-w.done
	return w.peak.Load(), w.killed.Load()
}
