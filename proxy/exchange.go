package proxy

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
	"github.com/sandgate/sandgate/scrub"
)

// exchange is the one decision path of every request, whatever it came
// over (HTTP/1.1 through martian, an HTTP/2 stream, a WebSocket upgrade):
// steps 2 to 10 of the decision order for an authenticated request within
// its rate, then the forward, the handler or the deny. It never fails: every
// outcome is a response. onContinue, if non-nil, sends "100 Continue" to an
// HTTP/1.1 sandbox when the request body is first read.
func (s *Server) exchange(req *http.Request, sb *sandbox.Sandbox, t *tunnel, rec *Record, onContinue func()) *http.Response {
	upgrade := rec.Protocol == protoH1 && isWebSocketUpgrade(req.Header)
	trailers := wantsTrailers(req.Header)
	expect := strings.EqualFold(req.Header.Get("Expect"), "100-continue")
	cleanHeaders(req.Header)
	delete(req.Header, "Expect")
	if upgrade {
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
	}
	if trailers {
		req.Header.Set("Te", "trailers")
	}
	out, host, port, res := s.outgoing(req, t, rec)
	if res != nil {
		return res
	}
	rec.Scheme, rec.Host, rec.Port = out.URL.Scheme, host, port
	out.Body = s.uploadBody(out, rec, expect, onContinue)
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

// uploadBody counts the request body as it passes (chunked or not) and,
// for "Expect: 100-continue", tells the sandbox to go on when something
// first reads it: at once for a forward, when a handler reads or forwards
// it otherwise, never for a request that is refused.
func (s *Server) uploadBody(out *http.Request, rec *Record, expect bool, onContinue func()) io.ReadCloser {
	if out.Body == nil || out.Body == http.NoBody {
		return out.Body
	}
	b := &uploadBody{rc: out.Body}
	if expect {
		b.onFirst = onContinue
	}
	rec.upload = b
	return b
}

type uploadBody struct {
	rc      io.ReadCloser
	n       atomic.Int64
	onFirst func()
	first   atomic.Bool
}

func (b *uploadBody) Read(p []byte) (int, error) {
	if b.onFirst != nil && b.first.CompareAndSwap(false, true) {
		b.onFirst()
	}
	n, err := b.rc.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (b *uploadBody) Close() error { return b.rc.Close() }

// unread reports whether a request expected "100 Continue" and nobody read
// its body: the sandbox may never send it, so the connection cannot carry
// another request.
func (b *uploadBody) unread() bool {
	return b != nil && b.onFirst != nil && !b.first.Load()
}

// outgoing builds the upstream request. Inside a tunnel the tunnel's target
// is dialed and an inner Host that names another host gets 421; for plain
// HTTP on the proxy port the absolute URL is authoritative and Host is set
// from it.
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
	if t != nil && t.fromHost {
		host, port, res := transparentOutgoing(req, out, t)
		return out, host, port, res
	}
	if t != nil {
		if !sameHost(req.Host, t) {
			return nil, "", 0, badRequest(req, http.StatusMisdirectedRequest,
				"misdirected request: Host "+strconv.Quote(req.Host)+" is not the CONNECT target "+t.authority)
		}
		out.URL.Scheme, out.URL.Host = t.scheme, t.authority
		out.Host = hostHeader(t.host, t.port, t.defaultPort())
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

// sameHost compares an inner Host header with the tunnel's target,
// case-insensitively. A Host without a port names the target's host on
// whatever port it was reached (clients such as grpc-go leave the port out);
// a port written must be the target's (the scheme's default counts as
// written when the target is on it).
func sameHost(hostHeader string, t *tunnel) bool {
	h, p := hostHeader, ""
	if i := strings.LastIndexByte(hostHeader, ':'); i >= 0 && !strings.HasSuffix(hostHeader, "]") {
		h, p = hostHeader[:i], hostHeader[i+1:]
	}
	if p != "" {
		n, ok := parsePort(p)
		if !ok || n != t.port {
			return false
		}
	}
	return hostpat.Normalize(h) == t.host
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
		return s.scrubbed(req, rec, sb, host, denyResponse(req, sb.Class.DenyStatus, result.Reason, host, sb.ID), result.Secrets)
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
	if res.StatusCode == http.StatusSwitchingProtocols && !upgraded(res) {
		res.Body.Close()
		return s.handlerFailure(req, rec, sb, host, b.Handler, errors.New("handler answered 101 without an upgraded upstream connection (return fetch(req))"))
	}
	return s.scrubbed(req, rec, sb, host, res, result.Secrets)
}

// scrubbed hides every secret the handler read or protected from what the
// sandbox receives: headers, body (decoded from gzip to be searched) and
// trailers, as they stream; the record's reason too, which a handler may
// have written. A body in another encoding cannot be searched: 502
// unscannable_response. The bytes of a joined upgrade are not scrubbed,
// only the headers of its 101.
func (s *Server) scrubbed(req *http.Request, rec *Record, sb *sandbox.Sandbox, host string, res *http.Response, secrets []string) *http.Response {
	if len(secrets) == 0 {
		return res
	}
	sc := scrub.For(secrets)
	if sc.Empty() {
		return res
	}
	rec.Reason, _ = sc.String(rec.Reason)
	if upgraded(res) {
		rec.Redactions = int64(sc.Header(res.Header))
		return res
	}
	known := res.ContentLength >= 0
	counter, err := scrub.Response(res, secrets)
	if err != nil {
		res.Body.Close()
		rec.fail(reasonUnscannable)
		s.log.Warn("response in an encoding that cannot be scanned for secrets", "request_id", rec.RequestID,
			"sandbox", sb.ID, "host", host, "content_encoding", res.Header.Get("Content-Encoding"))
		return errorResponse(req, http.StatusBadGateway, reasonUnscannable, errorBody{
			Error: "the upstream's response is in an encoding sandgate cannot scan for secrets", Host: host,
			Sandbox: sb.ID, RequestID: rec.RequestID})
	}
	rec.redacted = counter
	// Scrubbing takes the length away (replacements change it), but a body
	// whose length the upstream gave is not an event stream: it is not
	// flushed after every read.
	rec.bulk = known
	return res
}

func (s *Server) handlerFailure(req *http.Request, rec *Record, sb *sandbox.Sandbox, host, handler string, err error) *http.Response {
	var fe *engine.FetchError
	if errors.As(err, &fe) {
		return s.upstreamFailure(req, rec, sb, host, fe.Err)
	}
	rec.fail(reasonHandlerError)
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
	s.log.Warn("upstream failed", "request_id", rec.RequestID, "sandbox", sb.ID, "host", host, "err", err.Error())
	if isTimeout(err) {
		rec.fail(reasonUpstreamTime)
		return errorResponse(req, http.StatusGatewayTimeout, reasonUpstreamTime, errorBody{
			Error: "upstream did not answer in time", Host: host, Sandbox: sb.ID, RequestID: rec.RequestID})
	}
	rec.fail(reasonUpstreamError)
	return errorResponse(req, http.StatusBadGateway, reasonUpstreamError, errorBody{
		Error: "upstream error: " + upstreamErrorKind(err), Host: host, Sandbox: sb.ID, RequestID: rec.RequestID})
}

// wantsTrailers reports "TE: trailers" (gRPC sends it; it is hop-by-hop,
// but the next hop needs to hear it too).
func wantsTrailers(h http.Header) bool {
	for _, v := range h["Te"] {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "trailers") {
				return true
			}
		}
	}
	return false
}
