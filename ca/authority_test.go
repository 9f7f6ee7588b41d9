package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// newAuthority makes an Authority or fails the test.
func newAuthority(t testing.TB, opts Options) *Authority {
	t.Helper()
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCACertificate(t *testing.T) {
	clock := &fakeClock{t: epoch}
	a := newAuthority(t, Options{Name: "sandgate sandbox abc", Validity: 48 * time.Hour, Now: clock.Now})
	c := a.Certificate()
	checks := []struct {
		name string
		ok   bool
	}{
		{"IsCA", c.IsCA && c.BasicConstraintsValid},
		{"MaxPathLenZero", c.MaxPathLen == 0 && c.MaxPathLenZero},
		{"KeyUsage", c.KeyUsage == x509.KeyUsageCertSign|x509.KeyUsageCRLSign},
		{"SubjectKeyId", len(c.SubjectKeyId) == 20},
		{"CommonName", c.Subject.CommonName == "sandgate sandbox abc"},
		{"NotBefore", c.NotBefore.Equal(epoch.Add(-time.Hour))},
		{"NotAfter", c.NotAfter.Equal(epoch.Add(48 * time.Hour))},
		{"serial", c.SerialNumber.Sign() > 0 && c.SerialNumber.BitLen() <= 128},
		{"signature", c.SignatureAlgorithm == x509.ECDSAWithSHA256},
		{"self-signed", c.CheckSignatureFrom(c) == nil},
	}
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			if !ck.ok {
				t.Errorf("CA certificate fails %s", ck.name)
			}
		})
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("got key %T, want ECDSA P-256", c.PublicKey)
	}
}

func TestCertPEM(t *testing.T) {
	a := newAuthority(t, Options{})
	block, rest := pem.Decode(a.CertPEM())
	if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 {
		t.Fatalf("got block %v, rest %q, want one CERTIFICATE", block, rest)
	}
	if !bytes.Equal(block.Bytes, a.Certificate().Raw) {
		t.Error("PEM does not hold the CA certificate")
	}
	a.CertPEM()[0] = 'x'
	if a.CertPEM()[0] != '-' {
		t.Error("CertPEM returned the Authority's own slice")
	}
	if bytes.Contains(a.CertPEM(), []byte("PRIVATE")) {
		t.Error("CertPEM holds a private key")
	}
}

func TestDefaults(t *testing.T) {
	a := newAuthority(t, Options{})
	c := a.Certificate()
	if c.Subject.CommonName != DefaultName {
		t.Errorf("got %q, want %q", c.Subject.CommonName, DefaultName)
	}
	if got := c.NotAfter.Sub(c.NotBefore); got != DefaultValidity+time.Hour {
		t.Errorf("got lifetime %v, want %v", got, DefaultValidity+time.Hour)
	}
	b := newAuthority(t, Options{})
	if a.Certificate().SerialNumber.Cmp(b.Certificate().SerialNumber) == 0 {
		t.Error("two CAs share a serial")
	}
}

func TestNewRejectsNegative(t *testing.T) {
	for _, opts := range []Options{{LeafCacheSize: -1}, {Validity: -time.Hour}, {LeafValidity: -1}} {
		if _, err := New(opts); err == nil {
			t.Errorf("New(%+v): no error", opts)
		}
	}
}
