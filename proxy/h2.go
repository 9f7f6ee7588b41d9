package proxy

import (
	"crypto/tls"
	"io"
	"net/http"
	"time"

	"golang.org/x/net/http2"
)

// serveH2 serves an intercepted TLS connection whose sandbox chose h2 with
// golang.org/x/net/http2 (martian's own HTTP/2 support bypasses its
// modifiers). Every stream is one request through exchange, the path every
// HTTP/1.1 request takes. It returns when the connection ends.
func (s *Server) serveH2(tc *tls.Conn, cc *clientConn, t *tunnel) {
	defer cc.Close()
	s.h2.ServeConn(tc, &http2.ServeConnOpts{
		BaseConfig: s.h2base,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.serveH2Stream(w, r, cc, t)
		}),
	})
}

// serveH2Stream is one HTTP/2 request. A panic answers 502 internal_error
// when the response has not started and closes the connection.
func (s *Server) serveH2Stream(w http.ResponseWriter, r *http.Request, cc *clientConn, t *tunnel) {
	start := time.Now()
	sb := t.sandbox
	started := false
	defer func() {
		p := recover()
		if p == nil || p == http.ErrAbortHandler {
			if p != nil {
				panic(p)
			}
			return
		}
		s.logPanic("serving an HTTP/2 stream", p)
		if !started {
			res := errorResponse(r, http.StatusBadGateway, reasonInternal, errorBody{Error: "internal error"})
			copyHeader(w.Header(), res.Header)
			w.WriteHeader(res.StatusCode)
			_, _ = io.Copy(w, res.Body)
			_ = http.NewResponseController(w).Flush()
		}
		// The connection ends; the 502 gets a moment to leave first.
		time.AfterFunc(100*time.Millisecond, func() { _ = cc.Close() })
	}()
	if sb.Deleted() {
		_ = cc.Close()
		return
	}
	rec := s.newRecord(r, sb, start, protoH2)
	res := s.admit(r, sb, rec)
	if res == nil {
		res = s.exchange(r, sb, t, rec, nil)
	}
	started = true
	s.writeH2(w, r, res, rec)
}

// writeH2 sends a response on an HTTP/2 stream: headers as they are (none
// added: no sniffed Content-Type, no Date the upstream did not send), the
// body flushed as it arrives, then the trailers. A body the upstream cuts
// short resets the stream.
func (s *Server) writeH2(w http.ResponseWriter, r *http.Request, res *http.Response, rec *Record) {
	rec.Status = res.StatusCode
	h := w.Header()
	copyHeader(h, res.Header)
	removeHopHeaders(h)
	for _, name := range []string{"Content-Type", "Date"} {
		if _, ok := h[name]; !ok {
			h[name] = nil // suppressed, not sniffed or added
		}
	}
	h.Set(headerRequestID, rec.RequestID)
	fb := &finishBody{rc: res.Body, srv: s, rec: rec, ctx: r.Context()}
	defer fb.Close()
	w.WriteHeader(res.StatusCode)
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := fb.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			_ = rc.Flush()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if fb.failed {
				panic(http.ErrAbortHandler) // resets the stream: the sandbox sees it cut short
			}
			return
		}
	}
	for k, vv := range res.Trailer {
		h[http.TrailerPrefix+k] = vv
	}
}

func copyHeader(dst, src http.Header) {
	for k, vv := range src {
		dst[k] = vv
	}
}
