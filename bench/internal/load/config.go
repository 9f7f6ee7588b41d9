package load

import (
	"crypto/x509"
	"errors"
	"net/url"
	"time"
)

// Modes of a run: what one exchange is.
const (
	// ModeEcho is an HTTP/1.1 GET of the echo upstream, checked for the
	// injected header (the default).
	ModeEcho = "echo"
	// ModeH2 is the same GET as an HTTP/2 stream; every worker shares one
	// connection, so Concurrency is the number of streams in flight on it.
	ModeH2 = "h2"
	// ModeWS is one WebSocket message of MsgSize bytes and its echo; each
	// worker holds a connection of its own.
	ModeWS = "ws"
	// ModeBlob is a GET of the upstream's large body, checked whole against
	// Blob.
	ModeBlob = "blob"
)

// Config is one load run.
type Config struct {
	// Mode is what one exchange is (ModeEcho if empty).
	Mode string
	// URL is the target: an https URL of the upstream (wss for ModeWS).
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
	// Want is the value the upstream must report for Header (echo and h2;
	// the WebSocket upstream refuses an upgrade without it).
	Want string
	// Concurrency is the number of workers, each with at most one exchange in
	// flight (and, with KeepAlive or ModeWS, one connection).
	Concurrency int
	// KeepAlive reuses connections (and CONNECT tunnels); false opens a new
	// connection, CONNECT and TLS handshake for every request.
	KeepAlive bool
	// Interval, if positive, paces each worker: it starts an exchange at most
	// once per Interval (none is sent to catch up after a slow one). Zero:
	// no pause.
	Interval time.Duration
	// MsgSize is the size of a WebSocket message (ModeWS; default 1024).
	MsgSize int
	// Blob is what ModeBlob checks every body against.
	Blob *BlobCheck
	// Warmup runs before the measurement; its requests are not counted.
	Warmup time.Duration
	// Duration bounds the measurement in time, MaxRequests in count (zero:
	// no count bound, but Duration must be set).
	Duration    time.Duration
	MaxRequests int
	// Timeout bounds one exchange (default 10s).
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
	case c.Mode == ModeBlob && c.Blob == nil:
		return errors.New("load: ModeBlob needs Blob: every body is checked")
	case (c.Mode == "" || c.Mode == ModeEcho || c.Mode == ModeH2) && (c.Header == "" || c.Want == ""):
		return errors.New("load: Header and Want are required: every response is checked")
	}
	switch c.Mode {
	case "", ModeEcho, ModeH2, ModeWS, ModeBlob:
		return nil
	}
	return errors.New("load: unknown mode " + c.Mode)
}

func (c *Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 10 * time.Second
	}
	return c.Timeout
}
