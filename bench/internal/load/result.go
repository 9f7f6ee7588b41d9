package load

import (
	"math"
	"slices"
	"time"
)

func (r *runner) result(workers []worker, elapsed time.Duration) Result {
	var all []time.Duration
	res := Result{Seconds: elapsed.Seconds()}
	for _, w := range workers {
		all = append(all, w.lat...)
		res.OK += w.ok
		res.Mismatches += w.mismatches
	}
	res.Requests = len(all)
	res.Errors = res.Requests - res.OK
	if elapsed > 0 {
		res.RPS = float64(res.Requests) / elapsed.Seconds()
	}
	slices.Sort(all)
	res.P50 = ms(quantile(all, 0.50))
	res.P90 = ms(quantile(all, 0.90))
	res.P99 = ms(quantile(all, 0.99))
	if len(all) > 0 {
		res.Max = ms(all[len(all)-1])
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	res.TLS = r.tlsInfo
	res.WarmupErrors = r.warmupErrors
	res.ErrorSamples = r.samples
	return res
}

// quantile is the nearest-rank quantile of sorted latencies.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
