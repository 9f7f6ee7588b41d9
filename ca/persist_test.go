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

func TestRestoreLazy(t *testing.T) {
	a, _ := New(Options{Name: "sb-1"})
	var der []byte
	_ = a.ExportKey(func(d []byte) error { der = bytes.Clone(d); return nil })
	b, err := RestoreLazy(Options{}, a.Certificate().Raw, der)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.CertPEM(), b.CertPEM()) {
		t.Error("lazily restored CA: ca.pem differs")
	}
	leaf, err := b.Leaf("example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.Leaf.CheckSignatureFrom(a.Certificate()); err != nil {
		t.Errorf("a leaf of the lazily restored CA does not verify: %v", err)
	}

	other, _ := New(Options{})
	var otherDER []byte
	_ = other.ExportKey(func(d []byte) error { otherDER = bytes.Clone(d); return nil })
	bad, err := RestoreLazy(Options{}, a.Certificate().Raw, otherDER)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Leaf("example.com"); err == nil {
		t.Error("a lazily restored CA with another CA's key minted a leaf")
	}
	if _, err := bad.Leaf("example.org"); err == nil {
		t.Error("the second use of a bad pair worked")
	}
	c, _ := RestoreLazy(Options{}, a.Certificate().Raw, der)
	c.Destroy()
	if _, err := c.Leaf("example.com"); !errors.Is(err, ErrDestroyed) {
		t.Errorf("leaf after destroying a CA never used: got %v, want ErrDestroyed", err)
	}
	if c.pending != nil {
		t.Error("Destroy kept the pending key")
	}
}
