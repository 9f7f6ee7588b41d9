package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Phases of a run, in order.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// maxSamples bounds how many error messages a run keeps.
const maxSamples = 5

// runner is one Run in progress.
type runner struct {
	cfg     Config
	drv     driver
	phase   atomic.Int32
	started atomic.Int64 // counted requests started

	mu            sync.Mutex
	samples       []string
	warmupErrors  int
	tlsInfo       string
	proto         string
	upstreamProto string
}

// worker is what one worker counted.
type worker struct {
	lat              []time.Duration
	ok               int
	mismatches       int
	bytes            int64
	redacted, intact int
	sawTLS           bool
}

// Run sends requests as cfg says until its time or count bound (or ctx)
// ends the run, and returns what it measured. An error means the run could
// not start; failed requests are counted in the Result.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	d, err := newDriver(cfg)
	if err != nil {
		return Result{}, err
	}
	defer d.shutdown()
	r := &runner{cfg: cfg, drv: d}
	workers := make([]worker, cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			s := d.sender()
			defer s.close()
			// Paced workers start spread over one interval, not in step.
			r.work(ctx, s, &workers[i], time.Now().Add(cfg.Interval*time.Duration(i)/time.Duration(len(workers))))
		})
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	if cfg.Warmup > 0 {
		wait(ctx, allDone, cfg.Warmup)
	}
	start := time.Now()
	r.phase.Store(phaseMeasure)
	r.notify("measure")
	wait(ctx, allDone, cfg.Duration)
	r.phase.Store(phaseStop)
	<-allDone
	elapsed := time.Since(start)
	r.notify("done")
	return r.result(workers, elapsed), nil
}

// wait returns after d, when every worker has stopped, or when ctx ends;
// d <= 0 waits for the workers or ctx only.
func wait(ctx context.Context, allDone <-chan struct{}, d time.Duration) {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
	case <-allDone:
	case <-ctx.Done():
	}
}

func (r *runner) notify(phase string) {
	if r.cfg.OnPhase != nil {
		r.cfg.OnPhase(phase)
	}
}

// work sends one request at a time until the run stops or its count bound
// is reached; if the run is paced, it starts its first request at next and
// one per interval after that.
func (r *runner) work(ctx context.Context, s sender, w *worker, next time.Time) {
	for ctx.Err() == nil {
		if r.cfg.Interval > 0 {
			if !r.pause(ctx, &next) {
				return
			}
		}
		ph := r.phase.Load()
		if ph == phaseStop {
			return
		}
		if ph == phaseMeasure && r.cfg.MaxRequests > 0 && r.started.Add(1) > int64(r.cfg.MaxRequests) {
			return
		}
		t0 := time.Now()
		x, err := s.send(ctx)
		d := time.Since(t0)
		if ph != phaseMeasure {
			if err != nil {
				r.recordWarmupError(err)
			}
			continue
		}
		w.lat = append(w.lat, d)
		r.count(w, x, err)
	}
}

// pause waits until next, on a schedule of one request per Interval; a
// worker behind its schedule (after a slow request) starts at once and the
// schedule restarts from then, so it never sends a burst to catch up. It
// returns false if ctx ended.
func (r *runner) pause(ctx context.Context, next *time.Time) bool {
	now := time.Now()
	if next.Before(now) {
		*next = now
	}
	if d := next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	*next = next.Add(r.cfg.Interval)
	return true
}

func (r *runner) count(w *worker, x exchange, err error) {
	if err == nil {
		w.ok++
		w.bytes += x.bytes
		if x.blob && x.redacted {
			w.redacted++
		} else if x.blob {
			w.intact++
		}
		if !w.sawTLS {
			w.sawTLS = true
			r.mu.Lock()
			if r.tlsInfo == "" {
				r.tlsInfo, r.proto, r.upstreamProto = describeTLS(x.tls), x.proto, x.upstreamProto
			}
			r.mu.Unlock()
		}
		return
	}
	if _, ok := err.(*MismatchError); ok {
		w.mismatches++
	}
	r.sample(err)
}

func (r *runner) recordWarmupError(err error) {
	r.mu.Lock()
	r.warmupErrors++
	r.mu.Unlock()
	r.sample(err)
}

func (r *runner) sample(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) < maxSamples {
		r.samples = append(r.samples, err.Error())
	}
}
