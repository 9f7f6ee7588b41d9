package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
)

// UpstreamProtoHeader is the response header in which the upstream names
// the protocol it was spoken to in (bench/internal/upstream sets it when it
// offers HTTP/2).
const UpstreamProtoHeader = "X-Upstream-Proto"

// h2Driver is ModeH2: every worker's request is a stream of one HTTP/2
// connection (through a CONNECT tunnel when there is a proxy), opened with
// net/http's Transport.NewClientConn. A request waits for a free stream
// rather than opening a second connection; should the connection end, the
// next request opens another, and Result.Conns shows it.
type h2Driver struct {
	cfg     Config
	address string // host:port of the target
	tr      *http.Transport
	dial    *countingDialer
	want    string

	mu sync.Mutex
	cc *http.ClientConn
}

func newH2Driver(cfg Config) (*h2Driver, error) {
	if cfg.RootCAs == nil {
		return nil, errors.New("load: RootCAs is nil: TLS is always verified")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	address := u.Host
	if u.Port() == "" {
		address = net.JoinHostPort(u.Hostname(), "443")
	}
	dial := newDialer(cfg.timeout())
	var protos http.Protocols
	protos.SetHTTP2(true) // h2 only: a server that does not agree fails the dial
	tr := &http.Transport{DialContext: dial.DialContext, TLSClientConfig: &tls.Config{RootCAs: cfg.RootCAs},
		TLSHandshakeTimeout: cfg.timeout(), DisableCompression: true, Protocols: &protos}
	if cfg.Proxy != nil {
		tr.Proxy = http.ProxyURL(cfg.Proxy)
	}
	return &h2Driver{cfg: cfg, address: address, tr: tr, dial: dial, want: Body(cfg.Want)}, nil
}

func (d *h2Driver) sender() sender { return d }
func (d *h2Driver) conns() int     { return int(d.dial.n.Load()) }
func (d *h2Driver) close()         {}

func (d *h2Driver) shutdown() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cc != nil {
		_ = d.cc.Close()
	}
}

// conn is the connection, opened if there is none or it has failed.
func (d *h2Driver) conn(ctx context.Context) (*http.ClientConn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cc != nil && d.cc.Err() == nil {
		return d.cc, nil
	}
	if d.cc != nil {
		_ = d.cc.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.timeout())
	defer cancel()
	cc, err := d.tr.NewClientConn(ctx, "https", d.address)
	if err != nil {
		return nil, fmt.Errorf("load: an h2 connection to %s: %w", d.address, err)
	}
	d.cc = cc
	return cc, nil
}

func (d *h2Driver) send(ctx context.Context) (exchange, error) {
	cc, err := d.conn(ctx)
	if err != nil {
		return exchange{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.cfg.URL, nil)
	if err != nil {
		return exchange{}, err
	}
	if d.cfg.Send != "" {
		req.Header.Set(d.cfg.Header, d.cfg.Send)
	}
	res, err := cc.RoundTrip(req)
	if err != nil {
		return exchange{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return exchange{}, fmt.Errorf("load: reading the body: %w", err)
	}
	switch {
	case res.ProtoMajor != 2:
		return exchange{}, fmt.Errorf("load: the answer came in %s, not HTTP/2", res.Proto)
	case res.StatusCode != http.StatusOK:
		return exchange{}, fmt.Errorf("load: status %d: %.200s", res.StatusCode, body)
	case string(body) != d.want:
		return exchange{}, &MismatchError{Got: string(body)}
	}
	return exchange{tls: res.TLS, proto: negotiated(res.TLS), upstreamProto: res.Header.Get(UpstreamProtoHeader)}, nil
}
