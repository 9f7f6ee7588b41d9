package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// connectThrough opens a CONNECT tunnel to target through the gateway as
// sandbox sb and returns the connection after the proxy's 200; any other
// answer is returned as an error with its status.
func connectThrough(ctx context.Context, g *gateway, sb *sandbox, target string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", g.Proxy)
	if err != nil {
		return nil, err
	}
	auth := base64.StdEncoding.EncodeToString([]byte(sb.ID + ":" + sb.Token))
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n", target, target, auth)
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		c.Close()
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		c.Close()
		return nil, &connectError{Status: res.StatusCode, Decision: res.Header.Get("Sandgate-Decision")}
	}
	_ = c.SetDeadline(time.Time{})
	return &bufConn{Conn: c, r: br}, nil
}

type connectError struct {
	Status   int
	Decision string
}

func (e *connectError) Error() string {
	return fmt.Sprintf("CONNECT answered %d (%s)", e.Status, e.Decision)
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// sandboxTLS is a client TLS config that trusts only sb's CA.
func sandboxTLS(t *testing.T, sb *sandbox, serverName string, protos ...string) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(sb.CAPEM)) {
		t.Fatal("bad CA PEM")
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName, NextProtos: protos, MinVersion: tls.VersionTLS12}
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
