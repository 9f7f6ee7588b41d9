package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// What a ModeBlob body must be.
const (
	// ExpectIntact: every secret value comes as itself (the handler read no
	// secret, so nothing may be scrubbed).
	ExpectIntact = "intact"
	// ExpectRedacted: every value comes as Redaction, none as itself.
	ExpectRedacted = "redacted"
	// ExpectAny: each body is wholly intact or wholly redacted.
	ExpectAny = "any"
)

// Redaction is what a scrubbed secret value becomes.
const Redaction = "[redacted]"

// BlobCheck is what every ModeBlob response must be.
type BlobCheck struct {
	Expect string // ExpectIntact, ExpectRedacted or ExpectAny
	// Intact is the body as the upstream sends it; Redacted the same with
	// every value replaced by Redaction.
	Intact, Redacted []byte
	// Header is a response header that carries Values[0].
	Header string
	// Values are the secret values the body carries. An error message
	// counts them, never shows them.
	Values []string
}

// blobSender gets the large body and checks it whole.
type blobSender struct {
	c   *client
	buf bytes.Buffer
}

func (s *blobSender) send(ctx context.Context) (exchange, error) {
	b := s.c.cfg.Blob
	res, err := s.c.get(ctx)
	if err != nil {
		return exchange{}, err
	}
	defer res.Body.Close()
	s.buf.Reset()
	limit := int64(max(len(b.Intact), len(b.Redacted))) + 1
	if _, err := s.buf.ReadFrom(io.LimitReader(res.Body, limit)); err != nil {
		return exchange{}, fmt.Errorf("load: reading the body after %d bytes: %w", s.buf.Len(), err)
	}
	body, header := s.buf.Bytes(), res.Header.Get(b.Header)
	x := exchange{tls: res.TLS, proto: negotiated(res.TLS), bytes: int64(len(body)), blob: true}
	switch {
	case bytes.Equal(body, b.Intact) && header == b.Values[0]:
	case bytes.Equal(body, b.Redacted) && header == Redaction:
		x.redacted = true
	default:
		return exchange{}, fmt.Errorf("load: the body is neither the upstream's nor the upstream's with every value redacted: %s", b.describe(body, header))
	}
	switch {
	case b.Expect == ExpectRedacted && !x.redacted:
		return exchange{}, fmt.Errorf("load: a secret value came through: %s", b.describe(body, header))
	case b.Expect == ExpectIntact && x.redacted:
		return exchange{}, fmt.Errorf("load: the response was scrubbed though the handler read no secret: %s", b.describe(body, header))
	}
	return x, nil
}

func (s *blobSender) close() {}

// describe says how body and header differ from what was expected without
// showing a value.
func (b *BlobCheck) describe(body []byte, header string) string {
	values := 0
	for _, v := range b.Values {
		values += bytes.Count(body, []byte(v))
	}
	h := "another value"
	switch header {
	case b.Values[0]:
		h = "the secret value"
	case Redaction:
		h = Redaction
	case "":
		h = "nothing"
	}
	return fmt.Sprintf("%d bytes (the upstream sent %d), %d secret values and %d %s in it; header %s carries %s",
		len(body), len(b.Intact), values, bytes.Count(body, []byte(Redaction)), Redaction, b.Header, h)
}
