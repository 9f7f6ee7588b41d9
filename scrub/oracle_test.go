package scrub

import (
	"io"
	"slices"
	"strings"
)

// oracle is the reference: it finds every occurrence of every value in the
// whole text (overlapping ones too), merges occurrences that overlap, and
// writes one Redacted per merged run. It is strings.Replacer's whole-buffer
// replacement with one difference that matters for secrets: where two
// occurrences overlap, Replacer keeps the bytes of the second that stick
// out of the first; the oracle hides them too.
func oracle(text string, values []string) (string, int) {
	type iv struct{ start, end int }
	var ivs []iv
	for _, v := range values {
		if len(v) < MinLen {
			continue
		}
		for from := 0; ; {
			i := strings.Index(text[from:], v)
			if i < 0 {
				break
			}
			ivs = append(ivs, iv{from + i, from + i + len(v)})
			from += i + 1
		}
	}
	slices.SortFunc(ivs, func(a, b iv) int { return a.start - b.start })
	var b strings.Builder
	last, n := 0, 0
	for i := 0; i < len(ivs); {
		start, end := ivs[i].start, ivs[i].end
		for i++; i < len(ivs) && ivs[i].start < end; i++ {
			end = max(end, ivs[i].end)
		}
		b.WriteString(text[last:start])
		b.WriteString(Redacted)
		last, n = end, n+1
	}
	b.WriteString(text[last:])
	return b.String(), n
}

// chunked returns its text in reads of the given sizes, in turn.
type chunked struct {
	text  string
	sizes []int
	i     int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.text == "" {
		return 0, io.EOF
	}
	n := len(c.text)
	if len(c.sizes) > 0 {
		n = max(1, c.sizes[c.i%len(c.sizes)])
		c.i++
	}
	n = min(n, len(p), len(c.text))
	copy(p, c.text[:n])
	c.text = c.text[n:]
	return n, nil
}

// readAll reads r with a buffer of size bufSize.
func readAll(r io.Reader, bufSize int) (string, error) {
	var b strings.Builder
	buf := make([]byte, bufSize)
	for {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
	}
}
