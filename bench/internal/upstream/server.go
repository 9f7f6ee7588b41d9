package upstream

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"
)

// Server is a running upstream.
type Server struct {
	URL  string // https://127.0.0.1:<port>/echo
	srv  *http.Server
	done chan struct{}
}

// Start serves the echo of header over TLS (HTTP/1.1, keep-alive) on a free
// port of 127.0.0.1.
func Start(ca *CA, header string) (*Server, error) {
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
		Handler:           Echo(header),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{leaf}},
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){}, // HTTP/1.1 only
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          quietLog(),
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
