package proxy

import (
	"net/http"
	"time"

	"github.com/sandgate/sandgate/sandbox"

	"github.com/sandgate/sandgate/policy"
)

// Record describes one finished request or tunnel, for the audit log,
// metrics and the event stream (observe gives it its wire form). It
// never holds a header value, a query string or a secret.
type Record struct {
	Time            time.Time
	RequestID       string
	Sandbox         string
	Class           string
	Method          string
	Scheme          string
	Host            string
	Port            int
	Path            string
	Decision        string // allow, deny, handler, error
	Reason          string
	Rule            string
	Handler         string
	Status          int
	BytesUp         int64
	BytesDown       int64
	Duration        time.Duration
	HandlerDuration time.Duration
	HandlerError    bool
	HandlerTimeout  bool // the handler error was its time limit
	Upstream        string
}

func (s *Server) newRecord(req *http.Request, sb *sandbox.Sandbox, start time.Time) *Record {
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
