package main

import (
	"context"
	"slices"
	"time"
)

// watchGauge reads the gauge name from the gateway's /metrics every second
// until the returned function is called, which returns the highest value
// seen.
func (e *env) watchGauge(ctx context.Context, g *gateway, name string) func() float64 {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var peak float64
	go func() {
		defer close(done)
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			if m, err := g.metrics(); err == nil {
				peak = max(peak, m.sum(name, nil))
			}
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	}()
	return func() float64 {
		cancel()
		<-done
		return peak
	}
}

// median of durations (0 for none); it sorts d.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
