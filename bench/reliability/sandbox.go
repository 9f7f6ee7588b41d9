package main

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/systems"
)

// sandbox is a sandbox of a phase's gateway, as its client sees it.
type sandbox struct {
	ID    string
	token string
	addr  string         // the proxy's host:port
	proxy *url.URL       // the proxy with the sandbox's credentials
	pool  *x509.CertPool // the sandbox's CA
}

func newSandbox(id, token, proxyAddr string, caPEM []byte) (*sandbox, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("the sandbox's ca_pem holds no certificate")
	}
	return &sandbox{ID: id, token: token, addr: proxyAddr, pool: pool,
		proxy: &url.URL{Scheme: "http", User: url.UserPassword(id, token), Host: proxyAddr}}, nil
}

// probe measures the sandbox as an ordinary client: keep-alive HTTPS
// requests to the upstream through the gateway at the run's probe rate (an
// open loop: latency counts from when each request was due), every
// response checked for the injected value. Requests due in warmup are not
// counted.
func (e *env) probe(ctx context.Context, sb *sandbox, warmup, d time.Duration) load.Result {
	cfg := e.loadConfig(sb, e.opts.Probe.Concurrency, warmup, d)
	res, err := load.RunPaced(ctx, cfg, e.opts.Probe.Rate)
	return e.loadResult(res, err)
}

// flat measures the sandbox sending as fast as it can: c workers, each one
// request at a time with no pause, for d.
func (e *env) flat(ctx context.Context, sb *sandbox, c int, d time.Duration) load.Result {
	res, err := load.Run(ctx, e.loadConfig(sb, c, 0, d))
	return e.loadResult(res, err)
}

func (e *env) loadConfig(sb *sandbox, c int, warmup, d time.Duration) load.Config {
	return load.Config{URL: e.up.URL, Proxy: sb.proxy, RootCAs: sb.pool,
		Header: systems.Header, Want: e.secret, Concurrency: c, KeepAlive: true,
		Warmup: warmup, Duration: d, Timeout: 10 * time.Second}
}

// loadResult counts a run that could not start as one failed request, and
// redacts the failure samples.
func (e *env) loadResult(res load.Result, err error) load.Result {
	if err != nil {
		res = load.Result{Requests: 1, Errors: 1, ErrorSamples: []string{err.Error()}}
	}
	res.ErrorSamples = e.red.cleanAll(res.ErrorSamples)
	return res
}

// errKind is a short, secret-free name for a request's failure.
func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other error"
}
