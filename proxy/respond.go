package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// Decision header values and reasons of errors (denies use policy reasons).
const (
	headerDecision      = "Sandgate-Decision"
	headerRequestID     = "Sandgate-Request-Id"
	reasonHandlerError  = "handler_error"
	reasonUpstreamError = "upstream_error"
	reasonUpstreamTime  = "upstream_timeout"
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

// denyResponse is CONTRACT section 2's deny.
func denyResponse(req *http.Request, status int, reason, host, sandbox string) *http.Response {
	res := jsonResponse(req, status, denyBody{Error: "egress denied", Reason: reason, Host: host, Sandbox: sandbox})
	res.Header.Set(headerDecision, "deny; reason="+reason)
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

// errorResponse is a failure that is not a deny: 502/504 with a reason.
func errorResponse(req *http.Request, status int, reason string, body errorBody) *http.Response {
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
