package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/proc"
	"github.com/sandgate/sandgate/config"
)

// FloodOptions sizes the trickle flood.
type FloodOptions struct {
	Conns    int           // unauthenticated connections kept open (attempted)
	Rate     int           // connections opened a second, at most
	Interval time.Duration // between two bytes of one connection
	Reopen   bool          // replace the connections the gateway closes
	Before   time.Duration // the sandbox's measurement before the flood
	During   time.Duration // and during it
}

func (o *FloodOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.Conns, "flood-conns", 10000, "flood: unauthenticated trickling connections")
	fs.IntVar(&o.Rate, "flood-rate", 1000, "flood: connections opened a second, at most")
	fs.DurationVar(&o.Interval, "flood-interval", 5*time.Second, "flood: time between two bytes of a connection")
	fs.BoolVar(&o.Reopen, "flood-reopen", true, "flood: replace each connection the gateway closes (at the same rate)")
	fs.DurationVar(&o.Before, "flood-before", 8*time.Second, "flood: the sandbox's measurement before the flood")
	fs.DurationVar(&o.During, "flood-during", 15*time.Second, "flood: the sandbox's measurement during the flood")
}

func (o *FloodOptions) estimate() time.Duration {
	ramp := time.Duration(float64(o.Conns)/float64(max(o.Rate, 1))*float64(time.Second)) + time.Second
	return o.Before + ramp + o.During + 5*time.Second
}

// FloodResult is the trickle flood's figures.
type FloodResult struct {
	Options       FloodOptions `json:"options"`
	Probe         ProbeOptions `json:"probe"`
	MaxPending    int          `json:"max_pending_connections"` // the gateway's config (its default)
	HeaderTimeout string       `json:"header_timeout"`
	Before        load.Result  `json:"before"`
	During        load.Result  `json:"during"`
	Flood         TrickleStats `json:"flood"`
	RSSBefore     uint64       `json:"rss_before_bytes"`
	RSSPeak       uint64       `json:"rss_peak_bytes"` // sampled every 100 ms from the flood's start to its end
	// GatewayOpenPeak is the highest sandgate_open_connections seen (every
	// second) during the flood.
	GatewayOpenPeak float64 `json:"gateway_open_connections_peak"`
	// Refused is sandgate_bad_requests_total by status at the end.
	Refused    map[string]float64 `json:"bad_requests_by_status"`
	GatewayEnd string             `json:"gateway_end,omitempty"` // how the gateway ended, if it did
}

// floodPhase: 10,000 connections that never authenticate trickle bytes
// while an authenticated sandbox runs keep-alive requests.
func floodPhase(ctx context.Context, e *env, p *Phase) error {
	o := e.opts.Flood
	g, err := e.startGateway("flood", gwConfig{Classes: map[string]classConfig{"rel": {}}})
	if err != nil {
		return err
	}
	defer g.stop()
	sb, err := g.createSandbox("victim", "rel")
	if err != nil {
		return err
	}
	r := &FloodResult{Options: o, Probe: e.opts.Probe, MaxPending: config.DefaultMaxPendingConns, HeaderTimeout: config.DefaultHeaderTimeout.String()}
	p.Data = r
	e.progress("sandbox alone for %s", o.Before)
	r.Before = e.probe(ctx, sb, time.Second, o.Before)
	r.RSSBefore = g.rss()
	sampler := proc.Sample(g.PID(), 100*time.Millisecond)
	openPeak := e.watchGauge(ctx, g, "sandgate_open_connections")
	e.progress("flood of %d connections at %d/s, a byte every %s (reopen %v)", o.Conns, o.Rate, o.Interval, o.Reopen)
	t, cancel := startTrickle(ctx, g.Proxy, o.Conns, o.Rate, o.Interval, config.DefaultHeaderTimeout, o.Reopen)
	select {
	case <-t.ramped:
	case <-ctx.Done():
	}
	e.progress("%d connections dialed; the sandbox for %s during the flood", t.attempts.Load(), o.During)
	r.During = e.probe(ctx, sb, 0, o.During)
	r.Flood = t.stop(cancel)
	r.RSSPeak = sampler.Stop()
	r.GatewayOpenPeak = openPeak()
	if m, err := g.metrics(); err == nil {
		r.Refused = m.by("sandgate_bad_requests_total", "status")
	}
	r.GatewayEnd = g.ExitState()
	p.Targets = r.targets()
	return nil
}

func (r *FloodResult) targets() []Target {
	served := r.During.Requests > 0 && r.During.Errors == 0
	return []Target{{
		What: fmt.Sprintf("an authenticated sandbox is served while %s unauthenticated connections trickle", thousands(int64(r.Options.Conns))),
		Got: fmt.Sprintf("%s requests, %d failed; p99 %.1f ms (%.1f ms before); gateway RSS %s before, %s at the peak",
			thousands(int64(r.During.Requests)), r.During.Errors, r.During.P99, r.Before.P99, mib(r.RSSBefore), mib(r.RSSPeak)),
		Met: served && r.GatewayEnd == "",
	}}
}
