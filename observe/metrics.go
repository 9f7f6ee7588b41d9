package observe

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sandgate/sandgate/proxy"
)

// MetricsOptions configures NewMetrics. Nil funcs leave their metric out.
type MetricsOptions struct {
	// Version is reported by sandgate_build_info.
	Version string
	// SandboxLabel adds the sandbox id as a label of sandgate_requests_total
	// (config log.sandbox_metrics). Off by default: it makes one series per
	// sandbox, and series of deleted sandboxes stay until restart.
	SandboxLabel bool
	// Sandboxes reports the number of live sandboxes.
	Sandboxes func() int
	// OpenConns reports the open client connections (proxy.Server.OpenConns).
	OpenConns func() int64
	// Subscribers reports the open event streams (Broker.Len).
	Subscribers func() int
	// SecretStats reports the secrets cache's counters (secrets.Cache.Stats).
	SecretStats func() (hits, misses, errors uint64)
	// HandlerStats reports handler calls stopped at limits.max_memory and
	// those that found no free slot of their sandbox (engine.Stats).
	HandlerStats func() (memoryStops, slotTimeouts uint64)
}

// Metrics holds sandgate's Prometheus metrics on a registry of its own
// (nothing is registered globally).
type Metrics struct {
	reg          *prometheus.Registry
	sandboxLabel bool

	requests        *prometheus.CounterVec
	requestSeconds  *prometheus.HistogramVec
	handlerSeconds  *prometheus.HistogramVec
	handlerErrors   *prometheus.CounterVec
	handlerTimeouts *prometheus.CounterVec
	leafLookups     *prometheus.CounterVec
	reloads         *prometheus.CounterVec
	eventsDropped   prometheus.Counter
	authFailures    prometheus.Counter
	auditErrors     prometheus.Counter
	refused         *prometheus.CounterVec
	connErrors      *prometheus.CounterVec
	redactions      prometheus.Counter
	state           stateMetrics
}

// NewMetrics builds and registers every metric.
func NewMetrics(o MetricsOptions) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), sandboxLabel: o.SandboxLabel}
	labels := []string{"decision", "reason", "class", "handler", "protocol"}
	if o.SandboxLabel {
		labels = append(labels, "sandbox")
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sandgate_requests_total",
		Help: "Requests and tunnels decided, by decision (allow, deny, handler, error), reason, class, handler and protocol (h1, h2, ws, tcp)."}, labels)
	m.requestSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sandgate_request_duration_seconds",
		Help:    "Time from a request's arrival to the end of its response body (tunnels: to their close), by decision.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"decision"})
	m.handlerSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sandgate_handler_duration_seconds",
		Help:    "Time a Lua handler ran, fetches included, by handler.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"handler"})
	m.handlerErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sandgate_handler_errors_total",
		Help: "Handler failures answered with 502 handler_error (time-outs included), by handler."}, []string{"handler"})
	m.handlerTimeouts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sandgate_handler_timeouts_total",
		Help: "Handler calls stopped at limits.handler_timeout, by handler."}, []string{"handler"})
	m.leafLookups = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sandgate_leaf_cert_lookups_total",
		Help: "Leaf certificates asked of the per-sandbox CAs, by result: hit (cached) or miss (minted)."}, []string{"result"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sandgate_script_reloads_total",
		Help: "Script reloads (POST /v1/scripts/reload and SIGHUP), by result: ok or error."}, []string{"result"})
	m.eventsDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "sandgate_events_dropped_total",
		Help: "Events not delivered to a /v1/events subscriber because it fell behind."})
	m.authFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "sandgate_auth_failures_total",
		Help: "Requests and CONNECTs refused with 407 (missing or wrong proxy credentials)."})
	m.auditErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "sandgate_audit_write_errors_total",
		Help: "Audit lines that could not be written."})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sandgate_bad_requests_total",
		Help: "Request streams refused before parsing (malformed, oversized or slow heads), by status (0: inside a body)."}, []string{"status"})
	m.connErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sandgate_connection_errors_total",
		Help: "Tunnels and transparent connections that failed before their first request, and connections closed for what their client did (h2_reset_flood), by reason."}, []string{"reason"})
	m.redactions = prometheus.NewCounter(prometheus.CounterOpts{Name: "sandgate_redactions_total",
		Help: "Secret values scrubbed from responses to sandboxes."})
	for _, r := range []string{"tls_handshake_failed", "no_common_protocol", "unknown_protocol", "h2_reset_flood"} {
		m.connErrors.WithLabelValues(r)
	}
	for _, r := range []string{"hit", "miss"} {
		m.leafLookups.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "error"} {
		m.reloads.WithLabelValues(r)
	}
	m.reg.MustRegister(m.requests, m.requestSeconds, m.handlerSeconds, m.handlerErrors, m.handlerTimeouts,
		m.leafLookups, m.reloads, m.eventsDropped, m.authFailures, m.auditErrors, m.refused, m.connErrors, m.redactions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registerFuncs(o)
	m.state = newStateMetrics(m.reg)
	return m
}

func (m *Metrics) registerFuncs(o MetricsOptions) {
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sandgate_build_info",
		Help: "Always 1; the version label says which sandgate runs.", ConstLabels: prometheus.Labels{"version": o.Version}})
	info.Set(1)
	m.reg.MustRegister(info)
	if o.Sandboxes != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sandgate_sandboxes",
			Help: "Live sandboxes."}, func() float64 { return float64(o.Sandboxes()) }))
	}
	if o.OpenConns != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sandgate_open_connections",
			Help: "Open client connections to the proxy."}, func() float64 { return float64(o.OpenConns()) }))
	}
	if o.Subscribers != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sandgate_event_subscribers",
			Help: "Open /v1/events streams."}, func() float64 { return float64(o.Subscribers()) }))
	}
	if o.SecretStats != nil {
		m.reg.MustRegister(&secretCollector{stats: o.SecretStats})
	}
	if o.HandlerStats != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sandgate_handler_memory_stops_total",
			Help: "Handler calls stopped because the heap passed limits.max_memory."},
			func() float64 { n, _ := o.HandlerStats(); return float64(n) }))
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sandgate_handler_slot_timeouts_total",
			Help: "Handler calls that found no free slot of their sandbox (limits.handler_concurrency) within the time limit."},
			func() float64 { _, n := o.HandlerStats(); return float64(n) }))
	}
}

// Observe counts one finished request or tunnel.
func (m *Metrics) Observe(r *proxy.Record) {
	lv := []string{r.Decision, r.Reason, r.Class, r.Handler, r.Protocol}
	if m.sandboxLabel {
		lv = append(lv, r.Sandbox)
	}
	m.requests.WithLabelValues(lv...).Inc()
	m.requestSeconds.WithLabelValues(r.Decision).Observe(r.Duration.Seconds())
	if r.Handler != "" && r.HandlerDuration > 0 {
		m.handlerSeconds.WithLabelValues(r.Handler).Observe(r.HandlerDuration.Seconds())
	}
	if r.HandlerError {
		m.handlerErrors.WithLabelValues(r.Handler).Inc()
	}
	if r.HandlerTimeout {
		m.handlerTimeouts.WithLabelValues(r.Handler).Inc()
	}
	switch r.Reason {
	case "tls_handshake_failed", "no_common_protocol", "unknown_protocol":
		m.connErrors.WithLabelValues(r.Reason).Inc()
	}
	if r.Redactions > 0 {
		m.redactions.Add(float64(r.Redactions))
	}
}

// ConnError counts a connection closed for what its client did
// (proxy.Options.OnConnError).
func (m *Metrics) ConnError(reason string) { m.connErrors.WithLabelValues(reason).Inc() }

// AuthFailure counts a 407 (proxy.Options.OnAuthFailure).
func (m *Metrics) AuthFailure() { m.authFailures.Inc() }

// AuditWriteErrors counts audit lines that could not be written.
func (m *Metrics) AuditWriteErrors(n int) { m.auditErrors.Add(float64(n)) }

// Refused counts a request stream refused before parsing (proxy.Options.OnRefused).
func (m *Metrics) Refused(status int) { m.refused.WithLabelValues(strconv.Itoa(status)).Inc() }

// LeafLookup counts a leaf certificate lookup (ca.Options.OnLeaf).
func (m *Metrics) LeafLookup(hit bool) {
	if hit {
		m.leafLookups.WithLabelValues("hit").Inc()
		return
	}
	m.leafLookups.WithLabelValues("miss").Inc()
}

// Reload counts a script reload (admin.Options.OnReload).
func (m *Metrics) Reload(ok bool) {
	if ok {
		m.reloads.WithLabelValues("ok").Inc()
		return
	}
	m.reloads.WithLabelValues("error").Inc()
}

// EventDropped counts an event lost by a slow subscriber (Broker.OnDrop).
func (m *Metrics) EventDropped() { m.eventsDropped.Inc() }

// Registry is the registry the metrics live on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// secretCollector reads the secrets cache's own counters at scrape time.
type secretCollector struct {
	stats func() (hits, misses, errors uint64)
}

var secretLookupsDesc = prometheus.NewDesc("sandgate_secret_lookups_total",
	"Secret look-ups by handlers, by result: hit (from the cache), miss (read from the backend) or error.",
	[]string{"result"}, nil)

func (c *secretCollector) Describe(ch chan<- *prometheus.Desc) { ch <- secretLookupsDesc }

func (c *secretCollector) Collect(ch chan<- prometheus.Metric) {
	hits, misses, errs := c.stats()
	ch <- prometheus.MustNewConstMetric(secretLookupsDesc, prometheus.CounterValue, float64(hits), "hit")
	ch <- prometheus.MustNewConstMetric(secretLookupsDesc, prometheus.CounterValue, float64(misses), "miss")
	ch <- prometheus.MustNewConstMetric(secretLookupsDesc, prometheus.CounterValue, float64(errs), "error")
}
