package ca

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// handshake runs a TLS handshake over loopback TCP between a server using
// a.ServerConfig(target) and a Go client that trusts only roots. (net.Pipe
// has no buffer: a client that fails verification and writes its alert
// while the server still writes its flight would deadlock.)
func handshake(t *testing.T, a *Authority, target, serverName string, roots *x509.CertPool) (tls.ConnectionState, error) {
	t.Helper()
	sc, cc := tcpPair(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv := tls.Server(sc, a.ServerConfig(target, "h2", "http/1.1"))
		srv.Handshake()
		srv.Close()
	}()
	cli := tls.Client(cc, &tls.Config{
		RootCAs:    roots,
		ServerName: serverName,
		NextProtos: []string{"h2", "http/1.1"},
	})
	err := cli.Handshake()
	state := cli.ConnectionState()
	cli.Close()
	<-done
	return state, err
}

// tcpPair returns both ends of a loopback TCP connection, with a deadline.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	server.SetDeadline(deadline)
	client.SetDeadline(deadline)
	return server, client
}

// pool returns a cert pool holding only a's CA.
func pool(a *Authority) *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(a.CertPEM())
	return p
}

func TestHandshake(t *testing.T) {
	a := newAuthority(t, Options{Name: "sandgate sandbox a"})
	tests := []struct {
		name, target, serverName string
	}{
		{name: "dns", target: "example.com", serverName: "example.com"},
		{name: "dns case", target: "Example.COM", serverName: "example.com"},
		{name: "ipv4", target: "127.0.0.1", serverName: "127.0.0.1"},
		{name: "ipv6", target: "[::1]", serverName: "::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			state, err := handshake(t, a, tc.target, tc.serverName, pool(a))
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if state.NegotiatedProtocol != "h2" {
				t.Errorf("got ALPN %q, want %q (the server offers h2 first)", state.NegotiatedProtocol, "h2")
			}
		})
	}
}

func TestHandshakeOtherSandboxRejected(t *testing.T) {
	a := newAuthority(t, Options{Name: "sandgate sandbox a"})
	b := newAuthority(t, Options{Name: "sandgate sandbox b"})
	_, err := handshake(t, b, "example.com", "example.com", pool(a))
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("got %v, want x509.UnknownAuthorityError", err)
	}
	if _, err := b.Certificate().Verify(x509.VerifyOptions{Roots: pool(a)}); err == nil {
		t.Error("A's CA validates B's CA certificate")
	}
}

func TestHandshakeWrongHost(t *testing.T) {
	a := newAuthority(t, Options{})
	_, err := handshake(t, a, "example.com", "other.example.com", pool(a))
	var hostErr x509.HostnameError
	if !errors.As(err, &hostErr) {
		t.Errorf("got %v, want x509.HostnameError", err)
	}
}

func TestHandshakeAfterDestroy(t *testing.T) {
	a := newAuthority(t, Options{})
	a.Destroy()
	if _, err := handshake(t, a, "example.com", "example.com", pool(a)); err == nil {
		t.Error("handshake succeeded after Destroy")
	}
}

// TestHTTPSOverLoopback serves HTTP over a real TCP listener with the
// Authority's config and fetches it with net/http trusting only the CA.
func TestHTTPSOverLoopback(t *testing.T) {
	a := newAuthority(t, Options{})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", a.ServerConfig("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.Proto)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(a)}}}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	res, err := client.Get("https://localhost:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if got, want := string(body), "hello HTTP/1.1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
