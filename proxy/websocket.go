package proxy

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/martian/v3"
)

// isWebSocketUpgrade reports an HTTP/1.1 request with "Connection: Upgrade"
// and "Upgrade: websocket".
func isWebSocketUpgrade(h http.Header) bool {
	return headerHasToken(h, "Connection", "upgrade") && headerHasToken(h, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// upgraded reports a 101 whose body is the upstream connection (what
// net/http's transport returns for an accepted upgrade).
func upgraded(res *http.Response) bool {
	_, ok := res.Body.(io.ReadWriteCloser)
	return res.StatusCode == http.StatusSwitchingProtocols && ok
}

// joinUpgrade completes a WebSocket upgrade the upstream accepted: the
// sandbox's connection is taken from martian, gets the 101, and the two
// connections are joined byte for byte until either side closes (or
// neither moves for proxy.tunnel_idle_timeout). One record when it closes.
// martian then finds the session hijacked and leaves the connection alone.
func (s *Server) joinUpgrade(c *h1Conn, req *http.Request, res *http.Response, rec *Record) *http.Response {
	up := res.Body.(io.ReadWriteCloser)
	_, brw, err := martian.NewContext(req).Session().Hijack()
	if err != nil {
		_ = up.Close()
		rec.fail(reasonInternal)
		s.finish(rec)
		return closing(errorResponse(req, http.StatusBadGateway, reasonInternal, errorBody{Error: "internal error"}))
	}
	c.opaque()
	rec.Protocol, rec.Status = protoWS, http.StatusSwitchingProtocols
	h := res.Header.Clone()
	h.Set("Connection", "Upgrade")
	h.Set("Upgrade", "websocket")
	h.Set(headerRequestID, rec.RequestID)
	if err := writeHead(brw.Writer, http.StatusSwitchingProtocols, h); err != nil {
		_ = up.Close()
		_ = c.Close()
		rec.fail(reasonInternal)
		s.finish(rec)
		return placeholder(req)
	}
	client := connEnd(c, brw.Reader)
	client.closeW = nil // WebSocket has no half-close: either side's end ends both
	upstream := end{r: up, w: up, close: up.Close}
	rec.BytesUp, rec.BytesDown = joinEnds(client, upstream, s.opts.TunnelIdleTimeout)
	s.finish(rec)
	return placeholder(req)
}

// writeHead writes a status line and headers and flushes them.
func writeHead(w *bufio.Writer, status int, h http.Header) error {
	_, _ = w.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	_ = h.Write(w)
	_, _ = w.WriteString("\r\n")
	return w.Flush()
}

// placeholder is what RoundTrip returns after it took the connection over;
// martian sees the session hijacked and never writes it.
func placeholder(req *http.Request) *http.Response {
	return &http.Response{StatusCode: http.StatusSwitchingProtocols, Header: http.Header{}, Body: http.NoBody, Request: req}
}
