package observe

import (
	"context"
	"io"
	"log/slog"

	"github.com/sandgate/sandgate/proxy"
)

// Audit writes one JSON line per finished request or tunnel.
type Audit struct {
	h slog.Handler
}

// NewAudit returns an audit log that writes to w. Lines carry the request's
// arrival time as "time", "msg":"audit" and the fields of Event; no level.
func NewAudit(w io.Writer) *Audit {
	return &Audit{h: slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: dropLevel})}
}

func dropLevel(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.LevelKey {
		return slog.Attr{}
	}
	return a
}

// Observe writes r's line.
func (a *Audit) Observe(r *proxy.Record) {
	e := NewEvent(r)
	rec := slog.NewRecord(e.Time, slog.LevelInfo, "audit", 0)
	rec.AddAttrs(eventAttrs(e)...)
	_ = a.h.Handle(context.Background(), rec)
}
