package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/proc"
)

// IdleOptions sizes the idle-connection phase.
type IdleOptions struct {
	Conns     int           // authenticated idle keep-alive connections
	Sandboxes int           // they are spread over this many sandboxes
	Rate      int           // connections opened a second, at most
	Workers   int           // connections being opened at once, at most
	Settle    time.Duration // wait after the last one before reading RSS
	Probe     time.Duration // the other sandbox's measurement, before and while they are open
	Check     int           // connections asked a second request at the end (alive?)
	// MaxConnections is the gateway's proxy.max_connections (0: Conns +
	// 1000, so that the other sandbox fits under the global cap).
	MaxConnections int
}

func (o *IdleOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.Conns, "idle-conns", 10000, "idle: authenticated idle keep-alive connections")
	fs.IntVar(&o.Sandboxes, "idle-sandboxes", 4, "idle: sandboxes the connections are spread over")
	fs.IntVar(&o.Rate, "idle-rate", 1000, "idle: connections opened a second, at most")
	fs.IntVar(&o.Workers, "idle-workers", 32, "idle: connections being opened at once, at most")
	fs.DurationVar(&o.Settle, "idle-settle", 3*time.Second, "idle: wait after the last connection before reading RSS")
	fs.DurationVar(&o.Probe, "idle-probe", 5*time.Second, "idle: the other sandbox's measurement, before and during")
	fs.IntVar(&o.Check, "idle-check", 200, "idle: connections sent a second request at the end to check they are alive")
	fs.IntVar(&o.MaxConnections, "idle-max-connections", 0, "idle: the gateway's proxy.max_connections (0: idle-conns + 1000)")
}

func (o *IdleOptions) estimate() time.Duration {
	// The TLS handshakes cost CPU: on 2 busy cores 10,000 took 37 s.
	open := time.Duration(float64(o.Conns)/float64(max(o.Rate, 1))*float64(time.Second)) * 3
	return 2*o.Probe + open + o.Settle + 8*time.Second
}

// IdleResult is the idle-connection phase's figures.
type IdleResult struct {
	Options        IdleOptions  `json:"options"`
	ProbeWith      ProbeOptions `json:"probe"`
	MaxConnections int          `json:"max_connections"` // the gateway's proxy.max_connections
	Opened         int          `json:"opened"`
	Failed         int          `json:"failed"`
	FailSamples    []string     `json:"fail_samples,omitempty"`
	OpenSeconds    float64      `json:"open_seconds"`
	RSSBefore      uint64       `json:"rss_before_bytes"`
	RSSAfter       uint64       `json:"rss_after_bytes"` // Settle after the last connection
	RSSPeak        uint64       `json:"rss_peak_bytes"`
	RSSPerConn     float64      `json:"rss_per_conn_bytes"` // (after - before) / opened
	// From the gateway's /metrics, before and after: the Go heap in use
	// and goroutines, per connection.
	HeapPerConn       float64     `json:"heap_inuse_per_conn_bytes"`
	GoroutinesPerConn float64     `json:"goroutines_per_conn"`
	GatewayOpen       float64     `json:"gateway_open_connections"`
	Before            load.Result `json:"other_sandbox_before"`
	During            load.Result `json:"other_sandbox_during"`
	Checked           int         `json:"checked"`
	Alive             int         `json:"alive"`
	GatewayEnd        string      `json:"gateway_end,omitempty"`
}

// idlePhase: many authenticated keep-alive connections that do nothing;
// what each costs the gateway, and whether another sandbox is still served.
func idlePhase(ctx context.Context, e *env, p *Phase) error {
	o := e.opts.Idle
	maxConns := o.MaxConnections
	if maxConns == 0 {
		maxConns = o.Conns + 1000
	}
	g, err := e.startGateway("idle", gwConfig{MaxConnections: maxConns, Classes: map[string]classConfig{"rel": {}}})
	if err != nil {
		return err
	}
	defer g.stop()
	r := &IdleResult{Options: o, ProbeWith: e.opts.Probe, MaxConnections: maxConns}
	p.Data = r
	other, err := g.createSandbox("other", "rel")
	if err != nil {
		return err
	}
	var idlers []*sandbox
	for i := range max(o.Sandboxes, 1) {
		sb, err := g.createSandbox(fmt.Sprintf("idle-%d", i), "rel")
		if err != nil {
			return err
		}
		idlers = append(idlers, sb)
	}
	e.progress("the other sandbox alone for %s", o.Probe)
	r.Before = e.probe(ctx, other, time.Second, o.Probe)
	m0, _ := g.metrics()
	r.RSSBefore = g.rss()
	sampler := proc.Sample(g.PID(), 100*time.Millisecond)
	conns := e.openIdle(ctx, idlers, r)
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	e.progress("%d idle connections open (%d failed) in %.1fs; settling %s", r.Opened, r.Failed, r.OpenSeconds, o.Settle)
	sleep(ctx, o.Settle)
	r.RSSAfter = g.rss()
	if m1, err := g.metrics(); err == nil && m0 != nil && r.Opened > 0 {
		n := float64(r.Opened)
		r.HeapPerConn = (m1.sum("go_memstats_heap_inuse_bytes", nil) - m0.sum("go_memstats_heap_inuse_bytes", nil)) / n
		r.GoroutinesPerConn = (m1.sum("go_goroutines", nil) - m0.sum("go_goroutines", nil)) / n
		r.GatewayOpen = m1.sum("sandgate_open_connections", nil)
	}
	if r.Opened > 0 {
		r.RSSPerConn = (float64(r.RSSAfter) - float64(r.RSSBefore)) / float64(r.Opened)
	}
	e.progress("the other sandbox for %s while they are open", o.Probe)
	r.During = e.probe(ctx, other, 0, o.Probe)
	r.Checked, r.Alive = checkAlive(e, conns, o.Check)
	r.RSSPeak = sampler.Stop()
	r.GatewayEnd = g.ExitState()
	p.Targets = r.targets()
	return nil
}

// openIdle opens the connections, spread over the sandboxes, at most Rate a
// second with at most Workers at once.
func (e *env) openIdle(ctx context.Context, sbs []*sandbox, r *IdleResult) []*idleConn {
	o := e.opts.Idle
	target, _ := url.Parse(e.up.URL)
	start := time.Now()
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		pace := time.Second / time.Duration(max(o.Rate, 1))
		for i := range o.Conns {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
			sleep(ctx, pace)
		}
	}()
	var mu sync.Mutex
	var conns []*idleConn
	var wg sync.WaitGroup
	for range max(o.Workers, 1) {
		wg.Go(func() {
			for i := range jobs {
				c, err := dialIdle(ctx, sbs[i%len(sbs)], target, e.secret)
				mu.Lock()
				if err != nil {
					r.Failed++
					if len(r.FailSamples) < 5 {
						r.FailSamples = append(r.FailSamples, e.red.clean(err.Error()))
					}
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.Opened, r.OpenSeconds = len(conns), time.Since(start).Seconds()
	return conns
}

// checkAlive sends a second request on n of the connections, spread over
// all of them, and counts those answered.
func checkAlive(e *env, conns []*idleConn, n int) (checked, alive int) {
	if len(conns) == 0 || n <= 0 {
		return 0, 0
	}
	target, _ := url.Parse(e.up.URL)
	step := max(len(conns)/n, 1)
	for i := 0; i < len(conns) && checked < n; i += step {
		checked++
		if conns[i].request(target, e.secret) == nil {
			alive++
		}
	}
	return checked, alive
}

func (r *IdleResult) targets() []Target {
	return []Target{
		{
			What: fmt.Sprintf("%s authenticated idle connections are held", thousands(int64(r.Options.Conns))),
			Got: fmt.Sprintf("%s opened, %d failed; %d of %d checked still answered at the end; RSS %.1f KiB per connection",
				thousands(int64(r.Opened)), r.Failed, r.Alive, r.Checked, r.RSSPerConn/1024),
			Met: r.Opened == r.Options.Conns && r.Alive == r.Checked,
		},
		{
			What: "another sandbox is still served while they are open",
			Got: fmt.Sprintf("%s requests, %d failed; p99 %.1f ms (%.1f ms before)",
				thousands(int64(r.During.Requests)), r.During.Errors, r.During.P99, r.Before.P99),
			Met: r.During.Requests > 0 && r.During.Errors == 0 && r.GatewayEnd == "",
		},
	}
}
