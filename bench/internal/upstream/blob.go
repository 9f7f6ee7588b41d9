package upstream

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/sandgate/sandgate/bench/internal/load"
)

// BlobHeader is the response header of /blob that carries the first value.
const BlobHeader = "X-Bench-Token"

// blobWrite is the size of each write of /blob: a value placed across a
// multiple of it reaches the proxy split across two reads, as it may in
// any response.
const blobWrite = 32 << 10

// Blob is a large body that carries secret values, served at /blob.
type Blob struct {
	Body     []byte // as served
	Redacted []byte // Body with every value replaced by load.Redaction
	Values   []string
}

// NewBlob makes a body of size bytes: pseudo-random lines of lowercase
// letters and digits (the same for the same size), with each value at four
// places, one of them across a write boundary, and once more without its
// last byte (a near miss, which a scrubber must pass on as it is).
func NewBlob(values []string, size int) (*Blob, error) {
	if len(values) == 0 {
		return nil, errors.New("upstream: a blob needs at least one value")
	}
	slot := size / (4*len(values) + 2)
	if slot < 2*blobWrite {
		return nil, fmt.Errorf("upstream: %d bytes are too few for %d values", size, len(values))
	}
	b := &Blob{Body: filler(size), Values: values}
	for j := 1; j <= 4*len(values); j++ {
		v := values[(j-1)%len(values)]
		at := j * slot
		switch (j - 1) / len(values) {
		case 0: // the near miss follows the first occurrence
			miss := at + len(v) + 100
			copy(b.Body[miss:], v[:len(v)-1])
			b.Body[miss+len(v)-1] = '#'
		case 1: // across a write boundary
			at = (at/blobWrite+1)*blobWrite - len(v)/2
		}
		copy(b.Body[at:], v)
	}
	b.Redacted = b.Body
	for _, v := range values {
		b.Redacted = bytes.ReplaceAll(b.Redacted, []byte(v), []byte(load.Redaction))
	}
	return b, nil
}

// filler is size bytes of lines of 79 pseudo-random letters and digits.
func filler(size int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, size)
	for i := range b {
		if i%80 == 79 {
			b[i] = '\n'
			continue
		}
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}

// Check is what a client must find at /blob: Body as it is when expect is
// load.ExpectIntact, Redacted when load.ExpectRedacted, either when
// load.ExpectAny.
func (b *Blob) Check(expect string) *load.BlobCheck {
	return &load.BlobCheck{Expect: expect, Intact: b.Body, Redacted: b.Redacted, Header: BlobHeader, Values: b.Values}
}

// ServeHTTP sends the body in writes of blobWrite bytes.
func (b *Blob) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b.Body)))
	h.Set(BlobHeader, b.Values[0])
	for i := 0; i < len(b.Body); i += blobWrite {
		if _, err := w.Write(b.Body[i:min(i+blobWrite, len(b.Body))]); err != nil {
			return
		}
	}
}
