package observe

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stateMetrics watch the state store (docs/state.md).
type stateMetrics struct {
	lag     prometheus.Histogram
	resyncs prometheus.Counter
	errors  *prometheus.CounterVec
}

func newStateMetrics(reg *prometheus.Registry) stateMetrics {
	s := stateMetrics{
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sandgate_state_watch_lag_seconds",
			Help:    "Time from a sandbox change written through any gateway to its application on this one (etcd watch).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}),
		resyncs: prometheus.NewCounter(prometheus.CounterOpts{Name: "sandgate_state_resyncs_total",
			Help: "Full reads of the shared state after the watch broke, fell behind a compaction, or etcd came back."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sandgate_state_store_errors_total",
			Help: "State store operations that failed, by operation (load, create, update, delete, scripts, resync, watch)."},
			[]string{"op"}),
	}
	reg.MustRegister(s.lag, s.resyncs, s.errors)
	return s
}

// StateWatchLag observes how late a change from the shared store arrived.
func (m *Metrics) StateWatchLag(d time.Duration) { m.state.lag.Observe(max(d, 0).Seconds()) }

// StateResync counts a full resync of the shared state.
func (m *Metrics) StateResync() { m.state.resyncs.Inc() }

// StateError counts a failed state store operation.
func (m *Metrics) StateError(op string) { m.state.errors.WithLabelValues(op).Inc() }
