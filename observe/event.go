package observe

import (
	"time"

	"github.com/sandgate/sandgate/admin/client"
	"github.com/sandgate/sandgate/proxy"
)

// Event is a decision record as the audit log and the event stream show it:
// the admin client's wire type, so server and client cannot drift apart.
// The audit line adds only "msg":"audit"; Dropped stays zero (a stream
// reports drops on lines of their own).
type Event = client.Event

// NewEvent copies the fields of r.
func NewEvent(r *proxy.Record) Event {
	return Event{
		Time: r.Time, RequestID: r.RequestID, Sandbox: r.Sandbox, Class: r.Class, Protocol: r.Protocol,
		Method: r.Method, Scheme: r.Scheme, Host: r.Host, Port: r.Port, Path: r.Path,
		Decision: r.Decision, Reason: r.Reason, Rule: r.Rule, Handler: r.Handler, Status: r.Status,
		BytesUp: r.BytesUp, BytesDown: r.BytesDown, Redactions: r.Redactions,
		DurationMS: millis(r.Duration), HandlerMS: millis(r.HandlerDuration), Upstream: r.Upstream,
	}
}

// millis is d in milliseconds with microsecond precision.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
