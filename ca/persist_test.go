package ca

import (
	"bytes"
	"errors"
	"testing"
)

func TestExportRestore(t *testing.T) {
	a, err := New(Options{Name: "sb-1"})
	if err != nil {
		t.Fatal(err)
	}
	var kept []byte
	var copyOf []byte
	if err := a.ExportKey(func(der []byte) error {
		kept = der
		copyOf = bytes.Clone(der)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, make([]byte, len(kept))) {
		t.Error("the exported DER was not cleared after seal returned")
	}
	b, err := Restore(Options{}, a.Certificate().Raw, copyOf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.CertPEM(), b.CertPEM()) {
		t.Error("restored CA: ca.pem differs")
	}
	leaf, err := b.Leaf("example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.Leaf.CheckSignatureFrom(a.Certificate()); err != nil {
		t.Errorf("a leaf of the restored CA does not verify under the original: %v", err)
	}
}

func TestRestoreRefusesAnotherKey(t *testing.T) {
	a, _ := New(Options{})
	other, _ := New(Options{})
	var der []byte
	_ = other.ExportKey(func(d []byte) error { der = bytes.Clone(d); return nil })
	if _, err := Restore(Options{}, a.Certificate().Raw, der); err == nil {
		t.Fatal("restored a certificate with another CA's key")
	}
	if _, err := Restore(Options{}, a.Certificate().Raw, []byte("junk")); err == nil {
		t.Fatal("restored with a junk key")
	}
	a.Destroy()
	if err := a.ExportKey(func([]byte) error { return nil }); !errors.Is(err, ErrDestroyed) {
		t.Errorf("export after destroy: got %v, want ErrDestroyed", err)
	}
}
