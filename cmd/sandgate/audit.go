package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/sandgate/sandgate/proxy"
	"github.com/sandgate/sandgate/proxy/config"
)

// auditor writes one JSON line per finished request.
type auditor struct {
	log   *slog.Logger
	close func()
}

func newAuditor(cfg *config.Config, log *slog.Logger) *auditor {
	var w io.Writer = os.Stdout
	closeFn := func() {}
	if cfg.Log.AuditFile != "" {
		f, err := os.OpenFile(cfg.Log.AuditFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			log.Error("cannot open log.audit_file; auditing to stdout", "file", cfg.Log.AuditFile, "err", err.Error())
		} else {
			w, closeFn = f, func() { _ = f.Close() }
		}
	}
	return &auditor{log: slog.New(slog.NewJSONHandler(w, nil)), close: closeFn}
}

func (a *auditor) observe(r *proxy.Record) {
	a.log.LogAttrs(nil, slog.LevelInfo, "request",
		slog.String("request_id", r.RequestID), slog.String("sandbox", r.Sandbox), slog.String("class", r.Class),
		slog.String("method", r.Method), slog.String("scheme", r.Scheme), slog.String("host", r.Host),
		slog.Int("port", r.Port), slog.String("path", r.Path), slog.String("decision", r.Decision),
		slog.String("reason", r.Reason), slog.String("handler", r.Handler), slog.Int("status", r.Status),
		slog.Int64("bytes_up", r.BytesUp), slog.Int64("bytes_down", r.BytesDown),
		slog.Float64("duration_ms", float64(r.Duration.Microseconds())/1000), slog.String("upstream", r.Upstream))
}
