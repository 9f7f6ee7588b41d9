package proxy

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/sandbox"
)

// RoundTrip is where martian hands over every HTTP/1.1 request that is not
// a CONNECT: plain absolute-form requests and the inner requests of
// intercepted tunnels. It never returns an error (martian would answer with
// a 502 of its own that names the error, and fails open on a modifier's):
// every outcome is a response. A panic is contained here: the request gets
// 502 internal_error and its connection is closed.
func (s *Server) RoundTrip(req *http.Request) (res *http.Response, err error) {
	start := time.Now()
	cc := s.lookup(req.RemoteAddr)
	if cc == nil {
		return closing(badRequest(req, http.StatusBadRequest, "unknown connection")), nil
	}
	c := cc.current()
	defer func() {
		if r := recover(); r != nil {
			s.logPanic("serving a request", r)
			res = closing(errorResponse(req, http.StatusBadGateway, reasonInternal, errorBody{Error: "internal error"}))
		}
		c.startResponse()
		if c.closeAfter.Swap(false) {
			res.Close = true
		}
	}()
	return s.serveH1(c, req, start), nil
}

// serveH1 identifies the sandbox of an HTTP/1.1 request, admits it and
// runs the decision path; the response is framed for martian to write.
func (s *Server) serveH1(c *h1Conn, req *http.Request, start time.Time) *http.Response {
	sb, res := s.identifyH1(c, req, start)
	if res != nil {
		return res
	}
	rec := s.newRecord(req, sb, start, protoH1)
	if res = s.admit(req, sb, rec); res == nil {
		res = s.exchange(req, sb, c.tun, rec, c.sendContinue)
	}
	if res.StatusCode == http.StatusSwitchingProtocols && upgraded(res) {
		return s.joinUpgrade(c, req, res, rec)
	}
	rec.Status = res.StatusCode
	prepareResponse(res)
	res.Header.Set(headerRequestID, rec.RequestID)
	fb := &finishBody{rc: res.Body, srv: s, rec: rec, ctx: req.Context(), stream: res.ContentLength < 0 && !rec.bulk,
		onTruncate: c.cutShort}
	if rec.upload.unread() {
		// A refused "Expect: 100-continue" request: the sandbox may never
		// send the body, so the connection ends with this answer.
		res.Close = true
		fb.onClose = c.stopReading
	}
	res.Body = fb
	return res
}

// identifyH1 finds the sandbox of a request: the tunnel's, or the one its
// Proxy-Authorization names. A refusal comes back as the response.
func (s *Server) identifyH1(c *h1Conn, req *http.Request, start time.Time) (*sandbox.Sandbox, *http.Response) {
	if c.tun != nil {
		if c.tun.sandbox.Deleted() {
			return nil, closing(authRequired(req))
		}
		return c.tun.sandbox, nil
	}
	sb, ok := s.authenticate(req.Header)
	if !ok {
		s.authFailed(c.cc)
		return nil, authRequired(req)
	}
	if res := s.bindConn(c.cc, sb, req, start); res != nil {
		return nil, res
	}
	return sb, nil
}

// bindConn ties an authenticated sandbox to the connection; past the
// sandbox's max_connections the request gets 429 and the connection ends.
func (s *Server) bindConn(cc *clientConn, sb *sandbox.Sandbox, req *http.Request, start time.Time) *http.Response {
	err := cc.bind(sb)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sandbox.ErrTooManyConns):
		rec := s.newRecord(req, sb, start, protoH1)
		rec.Decision, rec.Reason, rec.Status = "deny", reasonTooManyConns, http.StatusTooManyRequests
		rec.Host, rec.Port = requestTarget(req)
		s.finish(rec)
		return closing(rateLimited(req, time.Second, reasonTooManyConns, rec.Host, sb.ID))
	}
	return closing(authRequired(req))
}

// admit applies what comes before step 2 of the decision order for an
// authenticated request: an audit log that must be written, and the
// sandbox's rate limit. A refusal is recorded and returned.
func (s *Server) admit(req *http.Request, sb *sandbox.Sandbox, rec *Record) *http.Response {
	host, _ := requestTarget(req)
	if s.opts.AuditRequired && s.opts.AuditOK != nil && !s.opts.AuditOK() {
		rec.fail(reasonAudit)
		return errorResponse(req, http.StatusServiceUnavailable, reasonAudit, errorBody{
			Error: "the audit log cannot be written; requests are refused until it can", Host: host, Sandbox: sb.ID})
	}
	if ok, wait := sb.Allow(); !ok {
		rec.Decision, rec.Reason = "deny", reasonRateLimited
		return rateLimited(req, wait, reasonRateLimited, host, sb.ID)
	}
	return nil
}

// prepareResponse frames a response for the sandbox's connection: an
// upstream's "Connection: close" is its own business, and a body of unknown
// length is sent chunked so the sandbox's connection can be kept alive.
func prepareResponse(res *http.Response) {
	res.Close = false
	res.Proto, res.ProtoMajor, res.ProtoMinor = "HTTP/1.1", 1, 1
	if res.ContentLength < 0 && len(res.TransferEncoding) == 0 && res.Body != nil && res.Body != http.NoBody {
		res.TransferEncoding = []string{"chunked"}
	}
	if res.Body == nil {
		res.Body = http.NoBody
	}
}

// requestTarget is the host (normalized, no port) and port a request names,
// for the records and deny bodies of refusals made before its outgoing
// request is built.
func requestTarget(req *http.Request) (string, int) {
	host, portStr := req.URL.Hostname(), req.URL.Port()
	if host == "" {
		h, p, err := net.SplitHostPort(req.Host)
		if err != nil {
			h, p = req.Host, ""
		}
		host, portStr = h, p
	}
	port := 443
	if req.URL.Scheme == "http" {
		port = 80
	}
	if n, ok := parsePort(portStr); ok {
		port = n
	}
	return hostpat.Normalize(host), port
}
