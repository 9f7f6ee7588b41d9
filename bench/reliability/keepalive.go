package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
)

// idleConn is an authenticated keep-alive connection through the proxy: a
// CONNECT tunnel to the upstream, TLS with the sandbox's CA inside, one
// request answered, then nothing.
type idleConn struct {
	tls *tls.Conn
	br  *bufio.Reader
}

// dialIdle opens an idleConn for sb to target and checks its first
// response.
func dialIdle(ctx context.Context, sb *sandbox, target *url.URL, want string) (*idleConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", sb.addr)
	if err != nil {
		return nil, err
	}
	ic, err := handshake(ctx, c, sb, target, "http/1.1")
	if err == nil {
		err = ic.request(target, want)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return ic, nil
}

// handshake opens a CONNECT tunnel for sb to target on c and a TLS session
// inside it that offers proto by ALPN (and checks the gateway chose it).
func handshake(ctx context.Context, c net.Conn, sb *sandbox, target *url.URL, proto string) (*idleConn, error) {
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	cred := base64.StdEncoding.EncodeToString([]byte(sb.ID + ":" + sb.token))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n", target.Host, target.Host, cred)
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return nil, fmt.Errorf("reading the CONNECT answer: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || br.Buffered() > 0 {
		return nil, fmt.Errorf("CONNECT: status %d", res.StatusCode)
	}
	tc := tls.Client(c, &tls.Config{RootCAs: sb.pool, ServerName: target.Hostname(), NextProtos: []string{proto}})
	if err := tc.HandshakeContext(ctx); err != nil {
		if strings.Contains(err.Error(), "no application protocol") { // the gateway's alert
			return nil, &protoRefused{want: proto, got: "none in common"}
		}
		return nil, fmt.Errorf("TLS in the tunnel: %w", err)
	}
	if got := tc.ConnectionState().NegotiatedProtocol; got != proto {
		tc.Close()
		return nil, &protoRefused{want: proto, got: got}
	}
	return &idleConn{tls: tc, br: bufio.NewReaderSize(tc, 1024)}, nil
}

// request sends one GET on the connection and checks the answer; the
// connection stays open, without a deadline, afterwards.
func (ic *idleConn) request(target *url.URL, want string) error {
	_ = ic.tls.SetDeadline(time.Now().Add(30 * time.Second))
	defer ic.tls.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(ic.tls, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", target.RequestURI(), target.Host); err != nil {
		return err
	}
	res, err := http.ReadResponse(ic.br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return fmt.Errorf("reading the response: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	switch {
	case err != nil:
		return err
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", res.StatusCode)
	case string(body) != load.Body(want):
		return fmt.Errorf("the upstream did not see the injected value")
	case res.Close:
		return fmt.Errorf("the gateway closes the connection after the response")
	}
	return nil
}

func (ic *idleConn) close() { _ = ic.tls.Close() }

// protoRefused is a TLS session in which the gateway did not choose the
// protocol the client offered alone.
type protoRefused struct{ want, got string }

func (e *protoRefused) Error() string {
	return fmt.Sprintf("TLS in the tunnel: the gateway chose %q, not %q", e.got, e.want)
}
