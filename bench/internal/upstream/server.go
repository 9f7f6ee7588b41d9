package upstream

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
)

// Options configure an upstream.
type Options struct {
	// Header is the header /echo shows and /ws wants.
	Header string
	// Want is the value /ws wants in Header before it upgrades; empty: any.
	Want string
	// H2 offers HTTP/2 (ALPN h2) besides HTTP/1.1, and /echo names the
	// protocol it was spoken to in (load.UpstreamProtoHeader). False:
	// HTTP/1.1 only.
	H2 bool
	// Blob is served at /blob; nil: /blob is the echo too.
	Blob *Blob
}

// Server is a running upstream.
type Server struct {
	URL  string // https://127.0.0.1:<port>/echo
	srv  *http.Server
	done chan struct{}
}

// Start serves the echo of header over TLS (HTTP/1.1, keep-alive) on a free
// port of 127.0.0.1.
func Start(ca *CA, header string) (*Server, error) { return StartWith(ca, Options{Header: header}) }

// StartWith serves what o says over TLS on a free port of 127.0.0.1: the
// echo of o.Header at every path but /ws (a WebSocket echo) and /blob.
func StartWith(ca *CA, o Options) (*Server, error) {
	leaf, err := ca.Leaf()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "https://" + ln.Addr().String() + "/echo", done: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           route(o),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{leaf}},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          quietLog(),
	}
	if !o.H2 {
		s.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){} // HTTP/1.1 only
	}
	go func() {
		defer close(s.done)
		_ = s.srv.ServeTLS(ln, "", "")
	}()
	return s, nil
}

// Close stops the server and its connections.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// Origin is the server's https://127.0.0.1:<port>.
func (s *Server) Origin() string { return strings.TrimSuffix(s.URL, "/echo") }

func route(o Options) http.Handler {
	echo := Echo(o.Header)
	if o.H2 {
		echo = namingProto(echo)
	}
	ws := wsEcho(o.Header, o.Want)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ws":
			ws.ServeHTTP(w, r)
		case r.URL.Path == "/blob" && o.Blob != nil:
			o.Blob.ServeHTTP(w, r)
		default:
			echo.ServeHTTP(w, r)
		}
	})
}

// Echo answers every request with the SHA-256 (hex) of each value of
// header it received, one per line: the client can check the injected
// value without the value coming back (sandgate scrubs a secret a handler
// read from the response, so a plain echo would show [redacted]).
func Echo(header string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		for _, v := range r.Header.Values(header) {
			sum := sha256.Sum256([]byte(v))
			b.WriteString(hex.EncodeToString(sum[:]))
			b.WriteByte('\n')
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
	})
}

// namingProto sets the protocol the request came in (HTTP/1.1, HTTP/2.0)
// on the response.
func namingProto(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(load.UpstreamProtoHeader, r.Proto)
		h.ServeHTTP(w, r)
	})
}
