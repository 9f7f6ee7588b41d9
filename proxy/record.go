package proxy

import (
	"net/http"
	"time"

	"github.com/sandgate/sandgate/proxy/policy"
)

// Record describes one finished request or tunnel, for the audit log,
// metrics and the event stream. It never holds a header value, a query
// string or a secret.
type Record struct {
	Time            time.Time     `json:"time"`
	RequestID       string        `json:"request_id"`
	Sandbox         string        `json:"sandbox"`
	Class           string        `json:"class"`
	Method          string        `json:"method"`
	Scheme          string        `json:"scheme"`
	Host            string        `json:"host"`
	Port            int           `json:"port"`
	Path            string        `json:"path"`
	Decision        string        `json:"decision"` // allow, deny, handler, error
	Reason          string        `json:"reason,omitempty"`
	Rule            string        `json:"rule,omitempty"`
	Handler         string        `json:"handler,omitempty"`
	Status          int           `json:"status"`
	BytesUp         int64         `json:"bytes_up"`
	BytesDown       int64         `json:"bytes_down"`
	Duration        time.Duration `json:"-"`
	HandlerDuration time.Duration `json:"-"`
	HandlerError    bool          `json:"-"`
	Upstream        string        `json:"upstream,omitempty"`
}

func (s *Server) newRecord(req *http.Request, sb *Sandbox, start time.Time) *Record {
	r := &Record{Time: start, RequestID: s.newRequestID(), Method: req.Method}
	if req.URL != nil {
		r.Path = req.URL.Path
	}
	if sb != nil {
		r.Sandbox, r.Class = sb.ID, sb.Class.Name
	}
	if req.ContentLength > 0 {
		r.BytesUp = req.ContentLength
	}
	return r
}

func (r *Record) setDecision(d policy.Decision) {
	r.Decision, r.Reason, r.Rule = d.Action.String(), d.Reason, d.Rule
	if d.Binding != nil {
		r.Handler = d.Binding.Handler
	}
}

// finish stamps the duration and hands the record to the observer.
func (s *Server) finish(r *Record) {
	r.Duration = time.Since(r.Time)
	if s.opts.Observe != nil {
		s.opts.Observe(r)
	}
}
