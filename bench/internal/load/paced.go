package load

import (
	"context"
	"errors"
	"sync"
	"time"
)

// RunPaced is Run in an open loop, as wrk2 does: request i is due at
// i/rate after the start, whatever the answers before it took. A free
// worker sends it when it is due (at once if it is late) and its latency
// counts from when it was due, so the time a request waited for a worker
// is not hidden (no coordinated omission). Concurrency bounds the requests
// in flight; Warmup and then Duration bound the schedule (MaxRequests is
// not used). Requests due in the warm-up are sent but not counted.
func RunPaced(ctx context.Context, cfg Config, rate float64) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	if rate <= 0 || cfg.Duration <= 0 {
		return Result{}, errors.New("load: a paced run needs a rate and a Duration")
	}
	d, err := newDriver(cfg)
	if err != nil {
		return Result{}, err
	}
	defer d.shutdown()
	r := &runner{cfg: cfg, drv: d}
	workers := make([]worker, cfg.Concurrency)
	due := make(chan pacedRequest)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			s := d.sender()
			defer s.close()
			r.workPaced(ctx, s, &workers[i], due)
		})
	}
	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	schedule(ctx, due, start, measureFrom, measureFrom.Add(cfg.Duration), rate)
	wg.Wait()
	r.notify("done")
	return r.result(workers, time.Since(measureFrom)), nil
}

// pacedRequest is one request of the schedule.
type pacedRequest struct {
	at      time.Time
	measure bool
}

// schedule hands out the requests due from start to end, then closes due.
// When every worker is busy it waits for one; the requests keep the times
// they were due.
func schedule(ctx context.Context, due chan<- pacedRequest, start, measureFrom, end time.Time, rate float64) {
	defer close(due)
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if !at.Before(end) {
			return
		}
		select {
		case due <- pacedRequest{at: at, measure: !at.Before(measureFrom)}:
		case <-ctx.Done():
			return
		}
	}
}

// workPaced sends each request it is handed when it is due.
func (r *runner) workPaced(ctx context.Context, s sender, w *worker, due <-chan pacedRequest) {
	for req := range due {
		if wait := time.Until(req.at); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		info, err := s.send(ctx)
		if ctx.Err() != nil {
			return
		}
		if !req.measure {
			if err != nil {
				r.recordWarmupError(err)
			}
			continue
		}
		w.lat = append(w.lat, time.Since(req.at))
		r.count(w, info, err)
	}
}
