package proxy

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/sandbox"
)

// h2Server serves the intercepted TLS connections whose sandbox chose h2,
// with net/http's own HTTP/2 server (martian's HTTP/2 support bypasses its
// modifiers; x/net/http2's Server is deprecated in favour of this one).
// Every stream is one request through exchange, the path every HTTP/1.1
// request takes. Connections arrive through an in-process listener, each
// with its tunnel.
type h2Server struct {
	srv   *http.Server
	ln    *chanListener
	conns sync.Map // *tls.Conn -> *h2Conn
}

// h2Conn is one HTTP/2 connection: its socket, its tunnel, and a signal
// for when the server is done with it.
type h2Conn struct {
	cc   *clientConn
	t    *tunnel
	done chan struct{}
	once sync.Once
	// flooded is set when the connection is closed for resetting too many
	// streams (earlyReset).
	flooded atomic.Bool
}

type h2ConnKey struct{}

func (s *Server) newH2Server() *h2Server {
	o := s.opts
	h := &h2Server{ln: newChanListener()}
	h.srv = &http.Server{
		Handler:        http.HandlerFunc(s.serveH2Stream),
		MaxHeaderBytes: o.MaxHeaderBytes,
		IdleTimeout:    o.IdleTimeout,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams:          o.H2MaxConcurrentStreams,
			MaxReceiveBufferPerStream:     o.H2StreamWindow,
			MaxReceiveBufferPerConnection: o.H2ConnWindow,
		},
		ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if v, ok := h.conns.Load(c); ok {
				return context.WithValue(ctx, h2ConnKey{}, v.(*h2Conn))
			}
			return ctx
		},
		ConnState: func(c net.Conn, st http.ConnState) {
			if st != http.StateClosed && st != http.StateHijacked {
				return
			}
			if v, ok := h.conns.LoadAndDelete(c); ok {
				hc := v.(*h2Conn)
				hc.once.Do(func() { close(hc.done) })
			}
		},
	}
	go func() { _ = h.srv.Serve(h.ln) }()
	return h
}

func (h *h2Server) close() error {
	_ = h.ln.Close()
	return h.srv.Close()
}

// serveH2 serves tc, which negotiated h2, and returns when it ends.
func (s *Server) serveH2(tc *tls.Conn, cc *clientConn, t *tunnel) {
	defer cc.Close()
	hc := &h2Conn{cc: cc, t: t, done: make(chan struct{})}
	s.h2.conns.Store(tc, hc)
	if !s.h2.ln.push(tc) {
		s.h2.conns.Delete(tc)
		return
	}
	<-hc.done
}

// serveH2Stream is one HTTP/2 request. A panic answers 502 internal_error
// when the response has not started and closes the connection.
func (s *Server) serveH2Stream(w http.ResponseWriter, r *http.Request) {
	hc, ok := r.Context().Value(h2ConnKey{}).(*h2Conn)
	if !ok {
		http.Error(w, "unknown connection", http.StatusInternalServerError)
		return
	}
	start := time.Now()
	sb := hc.t.sandbox
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
		time.AfterFunc(100*time.Millisecond, func() { _ = hc.cc.Close() })
	}()
	if sb.Deleted() {
		_ = hc.cc.Close()
		return
	}
	if hc.flooded.Load() { // the connection is being closed (earlyReset)
		return
	}
	ctx := r.Context()
	if ctx.Err() != nil { // reset before it was looked at: no work, no record
		s.earlyReset(hc, sb)
		return
	}
	rec := s.newRecord(r, sb, start, protoH2)
	res := s.admit(r, sb, rec)
	if res == nil {
		res = s.exchange(r, sb, hc.t, rec, nil)
	}
	started = true
	s.writeH2(w, r, res, rec)
	if ctx.Err() != nil { // reset (or its connection ended) before the response did
		s.earlyReset(hc, sb)
	}
}

// earlyReset counts a stream the sandbox ended before its response did
// against the sandbox's budget (sandbox.ResetRate). Past it the connection
// is closed and the sandbox's new TLS sessions are offered HTTP/1.1 only for
// sandbox.ResetCooldown: a rapid-reset flood (CVE-2023-44487) then costs the
// sandbox a TLS handshake per request, as over HTTP/1.1.
func (s *Server) earlyReset(hc *h2Conn, sb *sandbox.Sandbox) {
	if sb.StreamReset() || !hc.flooded.CompareAndSwap(false, true) {
		return
	}
	sb.BarH2(sandbox.ResetCooldown)
	_ = hc.cc.Close()
	if s.opts.OnConnError != nil {
		s.opts.OnConnError(reasonH2ResetFlood)
	}
	if s.resetLogged.due() {
		s.opts.Logger.Warn("HTTP/2 connection closed: its sandbox resets streams faster than allowed",
			"sandbox", sb.ID, "reason", reasonH2ResetFlood, "rate_per_second", sandbox.ResetRate, "burst", sandbox.ResetBurst,
			"http1_only_for", sandbox.ResetCooldown.String())
	}
}

// alpn is what the sandbox's TLS sessions are offered: h2 and HTTP/1.1, or
// HTTP/1.1 alone while a reset flood bars h2 (earlyReset).
func alpn(sb *sandbox.Sandbox) []string {
	if sb.H2Barred() {
		return []string{"http/1.1"}
	}
	return []string{"h2", "http/1.1"}
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
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var sent int64
	for {
		n, err := fb.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			sent += int64(n)
			// Flushed as it arrives (event and gRPC streams), but not the
			// last piece of a body of known length: the end of the handler
			// sends it with the end of the stream, in one write.
			if err == nil && !rec.bulk && (res.ContentLength < 0 || sent < res.ContentLength) {
				_ = rc.Flush()
			}
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
