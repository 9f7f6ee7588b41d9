package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"time"
)

// UpstreamOptions configures the shared upstream transport.
type UpstreamOptions struct {
	Guard                 *Guard
	CAFiles               []string // extra roots besides the system's
	ResponseHeaderTimeout time.Duration
	IdleConnTimeout       time.Duration
	MaxIdleConnsPerHost   int
}

// Upstream is the transport all sandboxes share (see NewTransport).
type Upstream struct {
	*http.Transport
}

// NewTransport returns the transport all sandboxes share: it dials through
// the guard, verifies TLS against the system roots plus CAFiles, speaks
// HTTP/2 to upstreams whose TLS offers it and HTTP/1.1 otherwise (always
// HTTP/1.1 for an upgrade), keeps connections pooled across sandbox
// connections, and adds nothing the sandbox did not send (no default
// User-Agent, no Accept-Encoding).
func NewTransport(o UpstreamOptions) (*Upstream, error) {
	roots, err := rootPool(o.CAFiles)
	if err != nil {
		return nil, err
	}
	return &Upstream{&http.Transport{
		Proxy:                 nil, // never an environment proxy
		DialContext:           o.Guard.dialPooled,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   o.Guard.timeout(),
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		IdleConnTimeout:       o.IdleConnTimeout,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   o.MaxIdleConnsPerHost,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     true,
	}}, nil
}

// RoundTrip sends req; a request without a User-Agent goes without one
// (net/http would add its own).
func (u *Upstream) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, ok := req.Header["User-Agent"]; !ok {
		r := *req
		r.Header = req.Header.Clone()
		if r.Header == nil {
			r.Header = http.Header{}
		}
		r.Header["User-Agent"] = nil
		req = &r
	}
	return u.Transport.RoundTrip(req)
}

func rootPool(files []string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("proxy: reading upstream.ca_files %s: %w", f, err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("proxy: upstream.ca_files %s: no PEM certificate found", f)
		}
	}
	return pool, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// upstreamErrorKind names the failure without the internal detail (which
// goes to the log).
func upstreamErrorKind(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return "cannot resolve host"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return "TLS certificate verification failed"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "connection refused or unreachable"
	case strings.Contains(err.Error(), "tls:"):
		return "TLS handshake failed"
	}
	return "connection failed"
}

// withUpstreamTrace returns ctx with a trace that records, in rec, the
// address a request made with it was sent to.
func withUpstreamTrace(ctx context.Context, rec *Record) context.Context {
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		rec.Upstream = info.Conn.RemoteAddr().String()
	}}
	return httptrace.WithClientTrace(ctx, trace)
}
