package upstream

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// StartHandler is Start with the caller's handler in place of the echo
// (which the handler may wrap, e.g. to count what it saw).
func StartHandler(ca *CA, h http.Handler) (*Server, error) {
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
		Handler:           h,
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
