package load

import (
	"context"
	"crypto/tls"
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
	send    func(ctx context.Context) (*tls.ConnectionState, error)
	phase   atomic.Int32
	started atomic.Int64 // counted requests started

	mu           sync.Mutex
	samples      []string
	warmupErrors int
	tlsInfo      string
}

// worker is what one worker counted.
type worker struct {
	lat        []time.Duration
	ok         int
	mismatches int
	sawTLS     bool
}

// Run sends requests as cfg says until its time or count bound (or ctx)
// ends the run, and returns what it measured. An error means the run could
// not start; failed requests are counted in the Result.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	c, err := newClient(cfg)
	if err != nil {
		return Result{}, err
	}
	defer c.close()
	r := &runner{cfg: cfg, send: c.send}
	workers := make([]worker, cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { r.work(ctx, &workers[i]) })
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
// is reached.
func (r *runner) work(ctx context.Context, w *worker) {
	for ctx.Err() == nil {
		ph := r.phase.Load()
		if ph == phaseStop {
			return
		}
		if ph == phaseMeasure && r.cfg.MaxRequests > 0 && r.started.Add(1) > int64(r.cfg.MaxRequests) {
			return
		}
		t0 := time.Now()
		info, err := r.send(ctx)
		d := time.Since(t0)
		if ph != phaseMeasure {
			if err != nil {
				r.recordWarmupError(err)
			}
			continue
		}
		w.lat = append(w.lat, d)
		r.count(w, info, err)
	}
}

func (r *runner) count(w *worker, cs *tls.ConnectionState, err error) {
	if err == nil {
		w.ok++
		if !w.sawTLS {
			w.sawTLS = true
			r.mu.Lock()
			if r.tlsInfo == "" {
				r.tlsInfo = describeTLS(cs)
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
