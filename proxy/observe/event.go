package observe

import (
	"log/slog"
	"time"

	"github.com/sandgate/sandgate/proxy"
	"github.com/sandgate/sandgate/proxy/admin/client"
)

// Event is a decision record as the audit log and the event stream show it:
// the admin client's wire type, so server and client cannot drift apart.
// The audit line adds only "msg":"audit"; Dropped stays zero (a stream
// reports drops on lines of their own).
type Event = client.Event

// NewEvent copies the fields of r.
func NewEvent(r *proxy.Record) Event {
	return Event{
		Time: r.Time, RequestID: r.RequestID, Sandbox: r.Sandbox, Class: r.Class,
		Method: r.Method, Scheme: r.Scheme, Host: r.Host, Port: r.Port, Path: r.Path,
		Decision: r.Decision, Reason: r.Reason, Rule: r.Rule, Handler: r.Handler, Status: r.Status,
		BytesUp: r.BytesUp, BytesDown: r.BytesDown,
		DurationMS: millis(r.Duration), HandlerMS: millis(r.HandlerDuration), Upstream: r.Upstream,
	}
}

// eventAttrs is the event as slog attributes, in the order of the struct.
func eventAttrs(e Event) []slog.Attr {
	return []slog.Attr{
		slog.String("request_id", e.RequestID), slog.String("sandbox", e.Sandbox), slog.String("class", e.Class),
		slog.String("method", e.Method), slog.String("scheme", e.Scheme), slog.String("host", e.Host),
		slog.Int("port", e.Port), slog.String("path", e.Path), slog.String("decision", e.Decision),
		slog.String("reason", e.Reason), slog.String("rule", e.Rule), slog.String("handler", e.Handler),
		slog.Int("status", e.Status), slog.Int64("bytes_up", e.BytesUp), slog.Int64("bytes_down", e.BytesDown),
		slog.Float64("duration_ms", e.DurationMS), slog.Float64("handler_ms", e.HandlerMS),
		slog.String("upstream", e.Upstream),
	}
}

// millis is d in milliseconds with microsecond precision.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
