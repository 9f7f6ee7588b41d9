package proxy

import (
	"net/http"
	"time"

	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
	"github.com/sandgate/sandgate/scrub"
)

// Protocols of a record (the audit line's "protocol" and a metric label).
const (
	protoH1  = "h1"
	protoH2  = "h2"
	protoWS  = "ws"
	protoTCP = "tcp"
)

// Record describes one finished request, tunnel or failed connection, for
// the audit log, metrics and the event stream (observe gives it its wire
// form). It never holds a header value, a query string or a secret.
type Record struct {
	Time            time.Time
	RequestID       string
	Sandbox         string
	Class           string
	Protocol        string // h1, h2, ws or tcp
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
	Redactions      int64
	Duration        time.Duration
	HandlerDuration time.Duration
	HandlerError    bool
	HandlerTimeout  bool // the handler error was its time limit
	Upstream        string

	upload   *uploadBody    // counts the request body as it passes
	redacted *scrub.Counter // counts the secret values scrubbed from the response
	bulk     bool           // the upstream gave the body's length (scrubbing took it away)
}

func (s *Server) newRecord(req *http.Request, sb *sandbox.Sandbox, start time.Time, proto string) *Record {
	r := &Record{Time: start, RequestID: s.newRequestID(), Method: req.Method, Protocol: proto}
	if req.URL != nil {
		r.Path = req.URL.Path
	}
	if sb != nil {
		r.Sandbox, r.Class = sb.ID, sb.Class.Name
	}
	return r
}

// connRecord is the record of a connection that failed before its first
// request, or of a tunnel: method CONNECT, the target host and port.
func (s *Server) connRecord(sb *sandbox.Sandbox, t *tunnel, start time.Time, proto string) *Record {
	r := &Record{Time: start, RequestID: s.newRequestID(), Method: http.MethodConnect, Protocol: proto,
		Sandbox: sb.ID, Class: sb.Class.Name, Host: t.host, Port: t.port, Scheme: t.scheme}
	return r
}

func (r *Record) setDecision(d policy.Decision) {
	r.Decision, r.Reason, r.Rule = d.Action.String(), d.Reason, d.Rule
	if d.Binding != nil {
		r.Handler = d.Binding.Handler
	}
}

// fail marks the record as an error with reason.
func (r *Record) fail(reason string) { r.Decision, r.Reason = "error", reason }

// finish stamps the duration and hands the record to the observer.
func (s *Server) finish(r *Record) {
	r.Duration = time.Since(r.Time)
	if r.upload != nil {
		r.BytesUp = r.upload.n.Load()
	}
	if r.redacted != nil {
		r.Redactions = r.redacted.Load()
	}
	if s.opts.Observe != nil {
		s.opts.Observe(r)
	}
}
