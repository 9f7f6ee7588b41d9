package upstream

import (
	"bytes"
	"testing"

	"github.com/sandgate/sandgate/bench/internal/load"
)

func TestNewBlob(t *testing.T) {
	values := []string{"scrub-0123456789abcdef01234567", "scrub-89abcdef0123456789abcdef", "scrub-fedcba9876543210fedcba98"}
	b, err := NewBlob(values, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Body) != 1_000_000 {
		t.Fatalf("got %d bytes, want 1000000", len(b.Body))
	}
	for i, v := range values {
		if got := bytes.Count(b.Body, []byte(v)); got != 4 {
			t.Errorf("value %d: got %d occurrences, want 4", i, got)
		}
		if got := bytes.Count(b.Body, []byte(v[:len(v)-1]+"#")); got != 1 {
			t.Errorf("value %d: got %d near misses, want 1", i, got)
		}
		if !straddles(b.Body, v) {
			t.Errorf("value %d: no occurrence across a %d-byte write", i, blobWrite)
		}
		if bytes.Contains(b.Redacted, []byte(v)) {
			t.Errorf("value %d: still in the redacted body", i)
		}
	}
	if got := bytes.Count(b.Redacted, []byte(load.Redaction)); got != 12 {
		t.Errorf("got %d redactions, want 12", got)
	}
	if _, err := NewBlob(values, 100_000); err == nil {
		t.Error("100000 bytes for 3 values: got no error")
	}
}

// straddles says whether some occurrence of v spans a multiple of blobWrite.
func straddles(body []byte, v string) bool {
	for off := 0; ; {
		i := bytes.Index(body[off:], []byte(v))
		if i < 0 {
			return false
		}
		at := off + i
		if at/blobWrite != (at+len(v)-1)/blobWrite {
			return true
		}
		off = at + 1
	}
}
