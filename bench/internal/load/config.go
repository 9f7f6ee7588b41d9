package load

import (
	"crypto/x509"
	"errors"
	"net/url"
	"time"
)

// Config is one load run.
type Config struct {
	// URL is the target, an https URL of the echo upstream.
	URL string
	// Proxy is the proxy with its credentials in the userinfo; nil sends
	// requests directly.
	Proxy *url.URL
	// RootCAs verifies the server the client talks TLS to: the proxy's CA
	// when it intercepts, the upstream's CA when direct.
	RootCAs *x509.CertPool
	// Header is the header the upstream must have received.
	Header string
	// Send, if not empty, is the value the client sets on Header itself (the
	// direct system, where no proxy injects it).
	Send string
	// Want is the value the upstream must report for Header.
	Want string
	// Concurrency is the number of workers, each with at most one request in
	// flight (and, with KeepAlive, one connection).
	Concurrency int
	// KeepAlive reuses connections (and CONNECT tunnels); false opens a new
	// connection, CONNECT and TLS handshake for every request.
	KeepAlive bool
	// Warmup runs before the measurement; its requests are not counted.
	Warmup time.Duration
	// Duration bounds the measurement in time, MaxRequests in count (zero:
	// no count bound, but Duration must be set).
	Duration    time.Duration
	MaxRequests int
	// Timeout bounds one request (default 10s).
	Timeout time.Duration
	// OnPhase, if not nil, is called with "measure" when counting starts and
	// "done" when the last counted request has finished.
	OnPhase func(phase string)
}

func (c *Config) check() error {
	switch {
	case c.URL == "":
		return errors.New("load: URL is empty")
	case c.Concurrency < 1:
		return errors.New("load: Concurrency must be at least 1")
	case c.Duration <= 0 && c.MaxRequests <= 0:
		return errors.New("load: set Duration or MaxRequests: a run must be bounded")
	case c.Header == "" || c.Want == "":
		return errors.New("load: Header and Want are required: every response is checked")
	}
	return nil
}

// Result is what a run measured. Latencies are in milliseconds.
type Result struct {
	Requests     int      `json:"requests"` // counted requests, errors included
	OK           int      `json:"ok"`       // 200 with the expected header value
	Errors       int      `json:"errors"`   // Requests - OK
	Mismatches   int      `json:"mismatches"`
	Seconds      float64  `json:"seconds"`
	RPS          float64  `json:"rps"`
	P50          float64  `json:"p50_ms"`
	P90          float64  `json:"p90_ms"`
	P99          float64  `json:"p99_ms"`
	Max          float64  `json:"max_ms"`
	TLS          string   `json:"tls"`           // version, cipher suite and leaf key the client saw
	WarmupErrors int      `json:"warmup_errors"` // failed requests of the warm-up (not counted above)
	ErrorSamples []string `json:"error_samples,omitempty"`
}
