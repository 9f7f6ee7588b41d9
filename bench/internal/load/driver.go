package load

import (
	"context"
	"crypto/tls"
	"net"
	"sync/atomic"
	"time"
)

// exchange is what one checked exchange showed.
type exchange struct {
	tls           *tls.ConnectionState
	proto         string // the ALPN protocol of the connection, if known
	upstreamProto string // the protocol the upstream says it was spoken to in
	bytes         int64  // body bytes checked
	blob          bool   // a ModeBlob body was checked: redacted says how it came
	redacted      bool
}

// sender makes one worker's exchanges, one at a time.
type sender interface {
	send(ctx context.Context) (exchange, error)
	close()
}

// driver hands each worker its sender and holds what workers share (an
// HTTP client, an HTTP/2 connection).
type driver interface {
	sender() sender
	conns() int // connections opened so far
	shutdown()
}

func newDriver(cfg Config) (driver, error) {
	switch cfg.Mode {
	case ModeH2:
		return newH2Driver(cfg)
	case ModeWS:
		return newWSDriver(cfg)
	}
	return newClient(cfg)
}

// countingDialer counts the TCP connections it opens.
type countingDialer struct {
	net.Dialer
	n atomic.Int64
}

func newDialer(timeout time.Duration) *countingDialer {
	return &countingDialer{Dialer: net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}}
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.Dialer.DialContext(ctx, network, addr)
	if err == nil {
		d.n.Add(1)
	}
	return c, err
}
