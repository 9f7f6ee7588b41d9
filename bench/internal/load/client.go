package load

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxBody bounds how much of an echo response body the client reads.
const maxBody = 64 << 10

// MismatchError is a 200 response whose body does not show the expected
// header value: the proxy did not inject it, or injected something else.
type MismatchError struct{ Got string }

func (e *MismatchError) Error() string {
	return fmt.Sprintf("load: upstream saw the header as %.120q, not the expected value", e.Got)
}

// client is the driver of ModeEcho and ModeBlob: HTTP/1.1 through
// net/http, one client shared by every worker.
type client struct {
	cfg  Config
	http *http.Client
	dial *countingDialer
	want string
}

func newClient(cfg Config) (*client, error) {
	if cfg.RootCAs == nil {
		return nil, errors.New("load: RootCAs is nil: TLS is always verified")
	}
	timeout := cfg.timeout()
	dial := newDialer(timeout)
	tr := &http.Transport{
		DialContext:         dial.DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: cfg.RootCAs},
		TLSHandshakeTimeout: timeout,
		DisableKeepAlives:   !cfg.KeepAlive,
		MaxIdleConns:        2 * cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false, // HTTP/1.1 inside every tunnel, for every system alike
	}
	if cfg.Proxy != nil {
		tr.Proxy = http.ProxyURL(cfg.Proxy) // credentials from the URL's userinfo
	}
	hc := &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &client{cfg: cfg, http: hc, dial: dial, want: Body(cfg.Want)}, nil
}

func (c *client) sender() sender {
	if c.cfg.Mode == ModeBlob {
		return &blobSender{c: c}
	}
	return echoSender{c}
}

func (c *client) conns() int { return int(c.dial.n.Load()) }

func (c *client) shutdown() { c.http.CloseIdleConnections() }

// get sends a GET of the run's URL, with the header when the client sets it
// itself, and fails on a status other than 200.
func (c *client) get(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.URL, nil)
	if err != nil {
		return nil, err
	}
	if c.cfg.Send != "" {
		req.Header.Set(c.cfg.Header, c.cfg.Send)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 200))
		res.Body.Close()
		return nil, fmt.Errorf("load: status %d: %.200s", res.StatusCode, body)
	}
	return res, nil
}

// echoSender sends the echo request and checks its body.
type echoSender struct{ c *client }

func (s echoSender) send(ctx context.Context) (exchange, error) {
	res, err := s.c.get(ctx)
	if err != nil {
		return exchange{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return exchange{}, fmt.Errorf("load: reading the body: %w", err)
	}
	if string(body) != s.c.want {
		return exchange{}, &MismatchError{Got: string(body)}
	}
	return exchange{tls: res.TLS, proto: negotiated(res.TLS)}, nil
}

func (echoSender) close() {}

// Body is the body the echo upstream answers when it received want as the
// only value of the header: the SHA-256 of each value on a line of its own.
func Body(want string) string {
	sum := sha256.Sum256([]byte(want))
	return hex.EncodeToString(sum[:]) + "\n"
}

func negotiated(cs *tls.ConnectionState) string {
	if cs == nil {
		return ""
	}
	if cs.NegotiatedProtocol == "" {
		return "http/1.1"
	}
	return cs.NegotiatedProtocol
}

// describeTLS names the TLS version, cipher suite, key exchange group and
// leaf key type. The group matters for the new-connection shape: a Go peer
// agrees on the hybrid X25519MLKEM768 (about twice the CPU of X25519 alone),
// an OpenSSL 3.0 peer on X25519.
func describeTLS(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	key := "unknown key"
	switch k := cs.PeerCertificates[0].PublicKey.(type) {
	case *ecdsa.PublicKey:
		key = "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		key = fmt.Sprintf("RSA-%d", k.N.BitLen())
	}
	group := cs.CurveID.String()
	if cs.CurveID == 0 {
		group = "no (EC)DHE group"
	}
	return fmt.Sprintf("%s %s, %s, leaf %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), group, key)
}
