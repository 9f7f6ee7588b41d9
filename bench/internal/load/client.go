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
	"net"
	"net/http"
	"time"
)

// maxBody bounds how much of a response body the client reads.
const maxBody = 64 << 10

// MismatchError is a 200 response whose body does not show the expected
// header value: the proxy did not inject it, or injected something else.
type MismatchError struct{ Got string }

func (e *MismatchError) Error() string {
	return fmt.Sprintf("load: upstream saw the header as %.120q, not the expected value", e.Got)
}

// client sends the run's requests.
type client struct {
	cfg  Config
	http *http.Client
	want string
}

func newClient(cfg Config) (*client, error) {
	if cfg.RootCAs == nil {
		return nil, errors.New("load: RootCAs is nil: TLS is always verified")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
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
	return &client{cfg: cfg, http: hc, want: Body(cfg.Want)}, nil
}

func (c *client) close() { c.http.CloseIdleConnections() }

// send makes one request and checks its response. It returns the TLS state
// the client saw, so the run can say what it measured.
func (c *client) send(ctx context.Context) (*tls.ConnectionState, error) {
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
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("load: reading the body: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("load: status %d: %.200s", res.StatusCode, body)
	}
	if string(body) != c.want {
		return nil, &MismatchError{Got: string(body)}
	}
	return res.TLS, nil
}

// Body is the body the echo upstream answers when it received want as the
// only value of the header: the SHA-256 of each value on a line of its own.
func Body(want string) string {
	sum := sha256.Sum256([]byte(want))
	return hex.EncodeToString(sum[:]) + "\n"
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
