package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Decision header values and reasons of errors (denies use policy reasons).
const (
	headerDecision      = "Sandgate-Decision"
	headerRequestID     = "Sandgate-Request-Id"
	reasonHandlerError  = "handler_error"
	reasonUpstreamError = "upstream_error"
	reasonUpstreamTime  = "upstream_timeout"
	reasonTruncated     = "upstream_truncated"
	reasonRateLimited   = "rate_limited"
	reasonTooManyConns  = "too_many_connections"
	reasonAudit         = "audit_unavailable"
	reasonInternal      = "internal_error"
	reasonH2ResetFlood  = "h2_reset_flood" // a connection closed, not a request's reason
	reasonUnscannable   = "unscannable_response"
	reasonTLSFailed     = "tls_handshake_failed"
	reasonNoProtocol    = "no_common_protocol"
	reasonUnknownProto  = "unknown_protocol"
)

// jsonResponse builds a small response that sandgate answers itself.
func jsonResponse(req *http.Request, status int, body any) *http.Response {
	b, _ := json.Marshal(body)
	b = append(b, '\n')
	h := make(http.Header, 4)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	return &http.Response{
		StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b)), Request: req,
	}
}

type denyBody struct {
	Error   string `json:"error"`
	Reason  string `json:"reason"`
	Host    string `json:"host"`
	Sandbox string `json:"sandbox"`
}

// denyResponse is the standard deny: 403 (or the class's deny_status),
// Sandgate-Decision and the JSON body; a gRPC request gets the gRPC form.
func denyResponse(req *http.Request, status int, reason, host, sandbox string) *http.Response {
	if isGRPC(req) {
		return grpcAnswer(req, "deny; reason="+reason, grpcDenyCode(reason), "egress denied: "+reason)
	}
	res := jsonResponse(req, status, denyBody{Error: "egress denied", Reason: reason, Host: host, Sandbox: sandbox})
	res.Header.Set(headerDecision, "deny; reason="+reason)
	return res
}

// rateLimited is the 429 of a request over its sandbox's rate.
func rateLimited(req *http.Request, wait time.Duration, reason, host, sandbox string) *http.Response {
	res := denyResponse(req, http.StatusTooManyRequests, reason, host, sandbox)
	if !isGRPC(req) {
		secs := int64((wait + time.Second - 1) / time.Second)
		res.Header.Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	}
	return res
}

type errorBody struct {
	Error     string `json:"error"`
	Reason    string `json:"reason,omitempty"`
	Host      string `json:"host,omitempty"`
	Sandbox   string `json:"sandbox,omitempty"`
	Handler   string `json:"handler,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// errorResponse is a failure that is not a deny: 502/503/504 with a reason.
func errorResponse(req *http.Request, status int, reason string, body errorBody) *http.Response {
	if isGRPC(req) {
		return grpcAnswer(req, "error; reason="+reason, grpcErrorCode(reason), body.Error)
	}
	body.Reason = reason
	res := jsonResponse(req, status, body)
	res.Header.Set(headerDecision, "error; reason="+reason)
	return res
}

// authRequired is the 407 of the explicit proxy.
func authRequired(req *http.Request) *http.Response {
	res := jsonResponse(req, http.StatusProxyAuthRequired, errorBody{Error: "proxy authentication required: send Proxy-Authorization: Basic base64(<sandbox id>:<token>)"})
	res.Header.Set("Proxy-Authenticate", `Basic realm="sandgate"`)
	return res
}

// badRequest answers a request the proxy cannot serve.
func badRequest(req *http.Request, status int, msg string) *http.Response {
	return jsonResponse(req, status, errorBody{Error: msg})
}

func closing(res *http.Response) *http.Response {
	res.Close = true
	return res
}

// isGRPC reports a gRPC request (content-type application/grpc...).
func isGRPC(req *http.Request) bool {
	if req == nil {
		return false
	}
	ct := req.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/grpc") &&
		(len(ct) == len("application/grpc") || ct[len("application/grpc")] == '+' || ct[len("application/grpc")] == ';')
}
