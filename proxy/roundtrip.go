package proxy

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sandgate/sandgate/sandbox"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/policy"
)

// RoundTrip is where martian hands over every request that is not a
// CONNECT: plain absolute-form requests and the inner requests of
// intercepted tunnels. It never returns an error (martian would answer with
// a 502 of its own that names the error): every outcome is a response.
func (s *Server) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	cc := s.lookup(req.RemoteAddr)
	if cc == nil {
		return closing(badRequest(req, http.StatusBadRequest, "unknown connection")), nil
	}
	var t *tunnel
	var sb *sandbox.Sandbox
	if t = cc.currentTunnel(); t != nil {
		sb = t.sandbox
		if sb.Deleted() {
			return closing(authRequired(req)), nil
		}
	} else {
		var ok bool
		if sb, ok = s.authenticate(req.Header); !ok || !cc.bind(sb) {
			return authRequired(req), nil
		}
	}
	rec := s.newRecord(req, sb, start)
	res := s.exchange(req, sb, t, rec)
	rec.Status = res.StatusCode
	prepareResponse(res)
	res.Header.Set(headerRequestID, rec.RequestID)
	res.Body = &finishBody{rc: res.Body, srv: s, rec: rec, stream: res.ContentLength < 0}
	return res, nil
}

// exchange runs the decision order for one authenticated request.
func (s *Server) exchange(req *http.Request, sb *sandbox.Sandbox, t *tunnel, rec *Record) *http.Response {
	cleanHeaders(req.Header)
	out, host, port, res := s.outgoing(req, t, rec)
	if res != nil {
		return res
	}
	rec.Scheme, rec.Host, rec.Port = out.URL.Scheme, host, port
	d := policy.Decide(sb.Class, sb.Overrides(), host, port, true)
	rec.setDecision(d)
	switch d.Action {
	case policy.Forward:
		return s.forward(out, rec, sb, host)
	case policy.Run:
		return s.runHandler(req, out, rec, sb, host, d.Binding)
	}
	return denyResponse(req, sb.Class.DenyStatus, d.Reason, host, sb.ID)
}

// outgoing builds the upstream request. Inside a tunnel the CONNECT target
// is dialed and an inner Host that names another host gets 421; for plain
// HTTP the absolute URL is authoritative and Host is set from it.
//
// The copy is shallow but for the URL: the header map is shared with req,
// which nothing reads after this (a handler copies it before its first
// change). Its context carries the trace that fills rec.Upstream, and so
// does every request a handler derives from it.
func (s *Server) outgoing(req *http.Request, t *tunnel, rec *Record) (*http.Request, string, int, *http.Response) {
	out := req.WithContext(withUpstreamTrace(req.Context(), rec))
	u := *req.URL
	out.URL = &u
	out.RequestURI = ""
	out.Close = false
	if t != nil && t.plain {
		host, port, res := transparentOutgoing(req, out, t)
		return out, host, port, res
	}
	if t != nil {
		if !sameHost(req.Host, t, 443) {
			return nil, "", 0, badRequest(req, http.StatusMisdirectedRequest,
				"misdirected request: Host "+strconv.Quote(req.Host)+" is not the CONNECT target "+t.authority)
		}
		out.URL.Scheme, out.URL.Host = "https", t.authority
		out.Host = hostHeader(t.host, t.port, 443)
		return out, t.host, t.port, nil
	}
	scheme, ok := absoluteScheme(req.RequestURI)
	if !ok || req.URL.Host == "" {
		return nil, "", 0, badRequest(req, http.StatusBadRequest,
			"sandgate is a proxy: send absolute-form requests (GET http://host/path) or CONNECT host:port")
	}
	out.URL.Scheme = scheme
	host := hostpat.Normalize(out.URL.Hostname())
	port := 80
	if scheme == "https" {
		port = 443
	}
	if p := out.URL.Port(); p != "" {
		n, ok := parsePort(p)
		if !ok {
			return nil, "", 0, badRequest(req, http.StatusBadRequest, "bad port in "+strconv.Quote(out.URL.Host))
		}
		port = n
	}
	out.Host = out.URL.Host
	return out, host, port, nil
}

func absoluteScheme(uri string) (string, bool) {
	switch {
	case len(uri) > 7 && strings.EqualFold(uri[:7], "http://"):
		return "http", true
	case len(uri) > 8 && strings.EqualFold(uri[:8], "https://"):
		return "https", true
	}
	return "", false
}

// forward sends the request upstream unchanged.
func (s *Server) forward(out *http.Request, rec *Record, sb *sandbox.Sandbox, host string) *http.Response {
	res, err := s.opts.Transport.RoundTrip(out)
	if err != nil {
		return s.upstreamFailure(out, rec, sb, host, err)
	}
	removeHopHeaders(res.Header)
	return res
}

// runHandler runs the bound handler on the snapshot current at the start of
// the request.
func (s *Server) runHandler(req, out *http.Request, rec *Record, sb *sandbox.Sandbox, host string, b *policy.Binding) *http.Response {
	rec.Handler = b.Handler
	var runner engine.Runner
	if s.opts.Engine != nil {
		runner = s.opts.Engine()
	}
	call := &engine.Call{Handler: b.Handler, Params: b.Params, Request: out,
		SandboxID: sb.ID, Class: sb.Class.Name, Labels: sb.Labels, RequestID: rec.RequestID, RateLimit: sb.Buckets}
	hstart := time.Now()
	var result engine.Result
	err := engine.ErrUnknownHandler
	if runner != nil {
		result, err = runner.Run(out.Context(), call)
	}
	rec.HandlerDuration = time.Since(hstart)
	if err != nil {
		return s.handlerFailure(req, rec, sb, host, b.Handler, err)
	}
	if result.Deny {
		rec.Decision, rec.Reason = "deny", result.Reason
		return denyResponse(req, sb.Class.DenyStatus, result.Reason, host, sb.ID)
	}
	res := result.Response
	if res == nil {
		return s.handlerFailure(req, rec, sb, host, b.Handler, errors.New("handler returned no response"))
	}
	if res.Header == nil {
		res.Header = http.Header{}
	}
	removeHopHeaders(res.Header)
	if res.Body == nil {
		res.Body = http.NoBody
	}
	return res
}

func (s *Server) handlerFailure(req *http.Request, rec *Record, sb *sandbox.Sandbox, host, handler string, err error) *http.Response {
	var fe *engine.FetchError
	if errors.As(err, &fe) {
		return s.upstreamFailure(req, rec, sb, host, fe.Err)
	}
	rec.Decision, rec.Reason = "error", reasonHandlerError
	rec.HandlerError, rec.HandlerTimeout = true, isHandlerTimeout(err)
	s.log.Error("handler failed", "request_id", rec.RequestID, "sandbox", sb.ID, "handler", handler, "host", host, "err", err.Error())
	return errorResponse(req, http.StatusBadGateway, reasonHandlerError, errorBody{
		Error: "handler " + handler + " failed; see the gateway log for request " + rec.RequestID,
		Host:  host, Sandbox: sb.ID, Handler: handler, RequestID: rec.RequestID})
}

// isHandlerTimeout reports whether err is a handler stopped at its time limit.
func isHandlerTimeout(err error) bool {
	var he *engine.HandlerError
	return errors.As(err, &he) && he.Timeout
}

// upstreamFailure maps a dial or round-trip error: a guard refusal is a
// deny (private_address), a time-out 504, anything else 502.
func (s *Server) upstreamFailure(req *http.Request, rec *Record, sb *sandbox.Sandbox, host string, err error) *http.Response {
	if isAddressError(err) {
		rec.Decision, rec.Reason = "deny", policy.ReasonPrivate
		return denyResponse(req, sb.Class.DenyStatus, policy.ReasonPrivate, host, sb.ID)
	}
	rec.Decision = "error"
	s.log.Warn("upstream failed", "request_id", rec.RequestID, "sandbox", sb.ID, "host", host, "err", err.Error())
	if isTimeout(err) {
		rec.Reason = reasonUpstreamTime
		return errorResponse(req, http.StatusGatewayTimeout, reasonUpstreamTime, errorBody{
			Error: "upstream did not answer in time", Host: host, Sandbox: sb.ID, RequestID: rec.RequestID})
	}
	rec.Reason = reasonUpstreamError
	return errorResponse(req, http.StatusBadGateway, reasonUpstreamError, errorBody{
		Error: "upstream error: " + upstreamErrorKind(err), Host: host, Sandbox: sb.ID, RequestID: rec.RequestID})
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
