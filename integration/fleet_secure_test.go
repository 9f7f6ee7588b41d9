package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandgate/sandgate/state/etcd/etcdtest"
)

// etcdStateConfig is a gateway on etcd with the given lines of the etcd
// block (indented four spaces), in a folder of its own.
func etcdStateConfig(t *testing.T, etcdLines string) gatewayConfig {
	t.Helper()
	dir := t.TempDir()
	return gatewayConfig{Classes: basicClasses, Dir: dir, Extra: fmt.Sprintf(`state:
  backend: etcd
  etcd:
%s
    prefix: /secure/
    dial_timeout: 2s`, etcdLines)}
}

func TestFleetEtcdAuth(t *testing.T) {
	srv := etcdtest.Start(t)
	cli := srv.Client(t)
	ctx := context.Background()
	for _, step := range []func() error{
		func() error { _, err := cli.RoleAdd(ctx, "root"); return err },
		func() error { _, err := cli.UserAdd(ctx, "root", "s3cret-pw"); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := cli.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	pw := filepath.Join(t.TempDir(), "etcd-password")
	if err := os.WriteFile(pw, []byte("s3cret-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gc := etcdStateConfig(t, fmt.Sprintf("    endpoints: [%q]\n    username: root\n    password_file: %s", srv.Endpoint, pw))
	g := startGateway(t, gc)
	g.createSandbox(map[string]any{"id": "authed"})
	if st := g.status(); !st.State.Healthy || st.State.Revision == 0 {
		t.Errorf("status with etcd auth: %+v", st)
	}
	g.Stop()

	if err := os.WriteFile(pw, []byte("wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, cfgPath := writeGatewayConfig(t, gc)
	if code, out := serveToExit(t, cfgPath); code == 0 {
		t.Fatalf("serve with a wrong etcd password exited 0: %s", out)
	} else if want := "authentication failed"; !strings.Contains(out, want) {
		t.Errorf("serve with a wrong etcd password: want %q in:\n%s", want, out)
	}
}

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, as PEM files.
type testPKI struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	clientTLS                                        *tls.Config
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "etcd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	caCert, _ := x509.ParseCertificate(caDER)
	p := &testPKI{CA: writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+"-key.pem", "EC PRIVATE KEY", kder)
	}
	p.ServerCert, p.ServerKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	p.ClientCert, p.ClientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	cc, err := tls.LoadX509KeyPair(p.ClientCert, p.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	p.clientTLS = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cc}}
	return p
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFleetEtcdTLS(t *testing.T) {
	pki := newTestPKI(t)
	srv := etcdtest.StartWith(t, etcdtest.Options{CertFile: pki.ServerCert, KeyFile: pki.ServerKey,
		ClientCAFile: pki.CA, ClientTLS: pki.clientTLS})
	gc := etcdStateConfig(t, fmt.Sprintf("    endpoints: [%q]\n    ca_file: %s\n    cert_file: %s\n    key_file: %s",
		srv.Endpoint, pki.CA, pki.ClientCert, pki.ClientKey))
	g := startGateway(t, gc)
	sb := g.createSandbox(map[string]any{"id": "tls"})
	g.Kill()
	g = startGateway(t, gc)
	if pem := g.mustAPI(200, "GET", "/v1/sandboxes/tls/ca.pem", nil); string(pem) != sb.CAPEM {
		t.Error("the sandbox did not come back from etcd over TLS")
	}
	g.Stop()
	// Without a client certificate etcd refuses the gateway, which does not start.
	noCert := etcdStateConfig(t, fmt.Sprintf("    endpoints: [%q]\n    ca_file: %s", srv.Endpoint, pki.CA))
	_, cfgPath := writeGatewayConfig(t, noCert)
	if code, out := serveToExit(t, cfgPath); code == 0 {
		t.Fatalf("serve without a client certificate exited 0: %s", out)
	}
}
