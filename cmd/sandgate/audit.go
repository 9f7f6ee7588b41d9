package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sandgate/sandgate/admin"
	"github.com/sandgate/sandgate/ca"
	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/observe"
	"github.com/sandgate/sandgate/proxy"
	"github.com/sandgate/sandgate/secrets"
)

// observers is the operators' side of a gateway: audit log, metrics and
// the event stream, all fed by the proxy's records.
type observers struct {
	audit   *observe.Audit
	metrics *observe.Metrics
	events  *observe.Broker
	flush   *observe.FlushWriter
	close   func()

	errLog   sync.Mutex
	lastErr  time.Time
	lostLogs int
	log      *slog.Logger
}

// openAudit opens log.audit_file for appending, or returns stdout.
func openAudit(cfg *config.Config, stdout io.Writer) (io.Writer, func(), error) {
	if cfg.Log.AuditFile == "" {
		return stdout, func() {}, nil
	}
	f, err := os.OpenFile(cfg.Log.AuditFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("log.audit_file: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}

// newObservers opens the audit log and builds the metrics; sandboxes and
// openConns are read at scrape time.
func newObservers(cfg *config.Config, stdout io.Writer, store secrets.Store, log *slog.Logger,
	sandboxes func() int, openConns func() int64, handlerStats func() (uint64, uint64)) (*observers, error) {
	w, closeFn, err := openAudit(cfg, stdout)
	if err != nil {
		return nil, err
	}
	fw := observe.NewFlushWriter(w, 100*time.Millisecond)
	o := &observers{audit: observe.NewAudit(fw), events: &observe.Broker{}, flush: fw, log: log,
		close: func() { _ = fw.Close(); closeFn() }}
	fw.OnError = o.auditFailed
	mo := observe.MetricsOptions{Version: version, SandboxLabel: cfg.Log.SandboxMetrics,
		Sandboxes: sandboxes, OpenConns: openConns, Subscribers: o.events.Len, HandlerStats: handlerStats}
	if st, ok := store.(interface{ Stats() secrets.CacheStats }); ok {
		mo.SecretStats = func() (uint64, uint64, uint64) {
			s := st.Stats()
			return s.Hits, s.Misses, s.Errors
		}
	} else {
		log.Warn("secrets store has no cache statistics: sandgate_secret_lookups_total is not exported")
	}
	o.metrics = observe.NewMetrics(mo)
	o.events.OnDrop = o.metrics.EventDropped
	return o, nil
}

// auditFailed counts audit lines lost to a failed write and logs it, at
// most once a second (with the count since the last line).
func (o *observers) auditFailed(lines int, err error) {
	o.metrics.AuditWriteErrors(lines)
	o.errLog.Lock()
	o.lostLogs += lines
	if time.Since(o.lastErr) < time.Second {
		o.errLog.Unlock()
		return
	}
	n := o.lostLogs
	o.lastErr, o.lostLogs = time.Now(), 0
	o.errLog.Unlock()
	o.log.Error("audit lines could not be written", "lines", n, "err", err.Error())
}

// auditOK reports whether the audit log is being written.
func (o *observers) auditOK() bool { return o.flush.Healthy() }

// observe is the proxy's Observe. The audit line comes last, so whoever
// sees it can rely on the metrics and events being there.
func (o *observers) observe(r *proxy.Record) {
	o.metrics.Observe(r)
	o.events.Observe(r)
	o.audit.Observe(r)
}

// newCA makes a sandbox's CA with leaf-cache metrics.
func (o *observers) newCA(id string) (*ca.Authority, error) {
	return ca.New(ca.Options{Name: "sandgate sandbox " + id, OnLeaf: o.metrics.LeafLookup})
}

// restoreCA rebuilds a stored CA with the same leaf-cache metrics. The
// seal has proved the pair is ours; parsing it waits for its first use.
func (o *observers) restoreCA(_ string, cert, key []byte) (*ca.Authority, error) {
	return ca.RestoreLazy(ca.Options{OnLeaf: o.metrics.LeafLookup}, cert, key)
}

// routes mounts /metrics (no auth), /v1/events and /debug/pprof/ (admin
// token) on the admin mux.
func (o *observers) routes(mux admin.Mux, authed func(http.Handler) http.Handler) {
	mux.Handle("GET /metrics", o.metrics.Handler())
	mux.Handle("GET /v1/events", authed(o.events))
	observe.MountPprof(mux, authed)
}
