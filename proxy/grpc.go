package proxy

import (
	"net/http"
	"strconv"
	"strings"
)

// gRPC status codes used for answers sandgate makes itself.
const (
	grpcDeadlineExceeded  = 4
	grpcPermissionDenied  = 7
	grpcResourceExhausted = 8
	grpcUnavailable       = 14
)

func grpcDenyCode(reason string) int {
	if reason == reasonRateLimited || reason == reasonTooManyConns {
		return grpcResourceExhausted
	}
	return grpcPermissionDenied
}

func grpcErrorCode(reason string) int {
	if reason == reasonUpstreamTime {
		return grpcDeadlineExceeded
	}
	return grpcUnavailable
}

// grpcAnswer is a trailers-only gRPC response: HTTP 200 whose headers carry
// grpc-status and grpc-message, and no body.
func grpcAnswer(req *http.Request, decision string, code int, msg string) *http.Response {
	h := make(http.Header, 5)
	h.Set("Content-Type", "application/grpc")
	h.Set("Grpc-Status", strconv.Itoa(code))
	h.Set("Grpc-Message", grpcEncode(msg))
	h.Set(headerDecision, decision)
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: http.NoBody, ContentLength: 0, Request: req}
}

// grpcEncode percent-encodes a grpc-message as the gRPC spec asks (bytes
// outside printable ASCII, and '%').
func grpcEncode(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c >= ' ' && c <= '~' && c != '%' {
			b.WriteByte(c)
			continue
		}
		const hex = "0123456789ABCDEF"
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
