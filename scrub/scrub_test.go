package scrub

import (
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type scrubCase struct {
	name   string
	values []string
	text   string
	want   string
	n      int
}

var scrubCases = []scrubCase{
	{"no values", nil, "ghp_secret123 here", "ghp_secret123 here", 0},
	{"short values ignored", []string{"abc", "12345"}, "abc 12345", "abc 12345", 0},
	{"one value", []string{"ghp_secret123"}, "token=ghp_secret123;", "token=[redacted];", 1},
	{"at start and end", []string{"ghp_secret123"}, "ghp_secret123 x ghp_secret123", "[redacted] x [redacted]", 2},
	{"whole text", []string{"ghp_secret123"}, "ghp_secret123", "[redacted]", 1},
	{"touching occurrences", []string{"tokenA"}, "tokenAtokenA", "[redacted][redacted]", 2},
	{"self overlap", []string{"aaaaaa"}, "xaaaaaaaay", "x[redacted]y", 1},
	{"prefix of another", []string{"abcdef", "abcdefgh"}, "abcdefgh abcdefxx", "[redacted] [redacted]xx", 2},
	{"suffix of another", []string{"cdefgh", "abcdefgh"}, "abcdefgh cdefgh", "[redacted] [redacted]", 2},
	{"inside another", []string{"bcdefg", "abcdefgh"}, "abcdefgh", "[redacted]", 1},
	{"overlapping values", []string{"abcdefgh", "efghijkl"}, "abcdefghijkl", "[redacted]", 1},
	{"chain merged backwards", []string{"abcdef", "ijklmn", "efghijklmnop"}, "abcdefghijklmnop!", "[redacted]!", 1},
	{"unfinished value at the end", []string{"ghp_secret123"}, "x ghp_secre", "x ghp_secre", 0},
	{"duplicate values", []string{"secret1", "secret1"}, "secret1", "[redacted]", 1},
	{"binary", []string{"\x00\xff\x00\xfe\x01\x02"}, "\x00\x00\xff\x00\xfe\x01\x02\x03", "\x00[redacted]\x03", 1},
	{"common bytes only", []string{"eeeeeee"}, "see eeeeeeee", "see [redacted]", 1},
	{"many values", []string{"value-01", "value-02", "value-03", "value-04", "value-05"}, "value-03 value-05 value-06", "[redacted] [redacted] value-06", 2},
}

func TestString(t *testing.T) {
	for _, tc := range scrubCases {
		t.Run(tc.name, func(t *testing.T) {
			got, n := New(tc.values).String(tc.text)
			if got != tc.want || n != tc.n {
				t.Errorf("got %q (%d), want %q (%d)", got, n, tc.want, tc.n)
			}
			if want, wn := oracle(tc.text, tc.values); want != tc.want || wn != tc.n {
				t.Errorf("oracle: got %q (%d), want %q (%d)", want, wn, tc.want, tc.n)
			}
		})
	}
}

func TestReaderSplits(t *testing.T) {
	readers := []struct {
		name string
		wrap func(string) io.Reader
		buf  int
	}{
		{"whole", func(s string) io.Reader { return strings.NewReader(s) }, 4096},
		{"one byte reads", func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) }, 4096},
		{"one byte buffer", func(s string) io.Reader { return strings.NewReader(s) }, 1},
		{"data with EOF", func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) }, 4096},
		{"halves", func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) }, 7},
		{"uneven chunks", func(s string) io.Reader { return &chunked{text: s, sizes: []int{3, 1, 5, 2}} }, 4096},
	}
	for _, tc := range scrubCases {
		for _, rd := range readers {
			t.Run(tc.name+"/"+rd.name, func(t *testing.T) {
				r := New(tc.values).Reader(rd.wrap(tc.text))
				got, err := readAll(r, rd.buf)
				if err != nil || got != tc.want || r.Count() != int64(tc.n) {
					t.Errorf("got %q (%d), %v, want %q (%d)", got, r.Count(), err, tc.want, tc.n)
				}
			})
		}
	}
}

// TestReaderAtEveryBoundary splits a text carrying values at every
// position, so each value is cut at each of its bytes.
func TestReaderAtEveryBoundary(t *testing.T) {
	values := []string{"ghp_0123456789abcdef", "sk-Secret-42", "abcdef", "abcdefXY"}
	text := "a ghp_0123456789abcdef b sk-Secret-42sk-Secret-42 abcdefXYabcdef abcdeZ ghp_0123"
	want, n := oracle(text, values)
	for i := 1; i < len(text); i++ {
		r := New(values).Reader(&chunked{text: text, sizes: []int{i, len(text)}})
		got, err := readAll(r, 4096)
		if err != nil || got != want || r.Count() != int64(n) {
			t.Fatalf("split at %d: got %q (%d), %v, want %q (%d)", i, got, r.Count(), err, want, n)
		}
	}
}

// TestReaderStreams checks that a read gives everything that cannot be the
// start of a value at once: events of a server-sent stream arrive whole.
func TestReaderStreams(t *testing.T) {
	const secret = "secret-token-42"
	steps := []struct{ send, want string }{
		{"data: hello\n\n", "data: hello\n\n"},
		{"data: " + secret + "\n\n", "data: [redacted]\n\n"},
		{"data: ends with secret-to", "data: ends with "},
		{"ken-42!\n\n", "[redacted]!\n\n"},
		{"data: secret-tok", "data: "},
		{"en-99\n\n", "secret-token-99\n\n"},
	}
	pr, pw := io.Pipe()
	r := New([]string{secret}).Reader(pr)
	buf := make([]byte, 4096)
	for _, st := range steps {
		go pw.Write([]byte(st.send))
		var got string
		for got != st.want && len(got) < len(st.want) {
			n, err := r.Read(buf)
			if err != nil {
				t.Fatalf("after %q: %v", st.send, err)
			}
			got += string(buf[:n])
		}
		if got != st.want {
			t.Fatalf("after sending %q: got %q, want %q", st.send, got, st.want)
		}
	}
	pw.Close()
	if rest, err := readAll(r, 16); rest != "" || err != nil {
		t.Errorf("at the end: got %q, %v, want nothing", rest, err)
	}
}

// errAfter returns its text, then err with the last bytes.
type errAfter struct {
	text string
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	n := copy(p, e.text)
	e.text = e.text[n:]
	if e.text == "" {
		return n, e.err
	}
	return n, nil
}

func TestReaderErrorDropsHeldTail(t *testing.T) {
	boom := fmt.Errorf("upstream reset")
	r := New([]string{"secret-token-42"}).Reader(&errAfter{text: "ok secret-token-42 and secret-to", err: boom})
	got, err := readAll(r, 4096)
	if err != boom {
		t.Fatalf("got error %v, want %v", err, boom)
	}
	if want := "ok [redacted] and "; got != want {
		t.Errorf("got %q, want %q (the tail that may start a value is never sent)", got, want)
	}
}

func TestReaderClose(t *testing.T) {
	src := &closeRecorder{Reader: strings.NewReader("hello secret-token-42")}
	r := New([]string{"secret-token-42"}).Reader(src)
	buf := make([]byte, 3)
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil || !src.closed {
		t.Fatalf("Close: %v, source closed %v, want nil and true", err, src.closed)
	}
	if n, err := r.Read(buf); n != 0 || err == nil {
		t.Errorf("read after close: got %d, %v, want an error", n, err)
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// TestReaderConstantMemory streams 64 MiB with values in it and checks
// that the reader's allocations do not grow with the body.
func TestReaderConstantMemory(t *testing.T) {
	values := []string{"ghp_0123456789abcdef", "sk-Secret-42", "npm_Token_77"}
	gen := &generator{line: []byte("{\"echo\": \"Bearer ghp_0123456789abcdef\", \"n\": 12345, \"x\": \"npm_Token_77\"}\n"), left: 64 << 20}
	r := New(values).Reader(gen)
	buf := make([]byte, 32<<10)
	allocs := testing.AllocsPerRun(1, func() {
		for {
			_, err := r.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	lines := int64(64<<20) / int64(len(gen.line))
	if got := r.Count(); got < 2*lines {
		t.Errorf("got %d replacements, want at least %d", got, 2*lines)
	}
	if allocs > 100 {
		t.Errorf("got %v allocations for 64 MiB, want a fixed few", allocs)
	}
}

// generator repeats line until left bytes were sent.
type generator struct {
	line []byte
	off  int
	left int
}

func (g *generator) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && g.left > 0 {
		k := copy(p[n:min(len(p), n+g.left)], g.line[g.off:])
		g.off = (g.off + k) % len(g.line)
		n, g.left = n+k, g.left-k
	}
	return n, nil
}

// hash is how tests name a secret in a failure message.
func hash(s string) string { return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(s)))[:19] }

func TestForSharesOneScrubberPerSet(t *testing.T) {
	a := For([]string{"secret-one", "secret-two", "tiny"})
	b := For([]string{"secret-two", "secret-one", "secret-one"})
	if a != b {
		t.Error("the same set in another order got another Scrubber")
	}
	if c := For([]string{"secret-one"}); c == a {
		t.Error("a different set got the same Scrubber")
	}
	if !For([]string{"tiny"}).Empty() || !For(nil).Empty() {
		t.Error("a set without a value of MinLen bytes is not empty")
	}
	got, n := b.String("x secret-two y secret-one")
	if got != "x [redacted] y [redacted]" || n != 2 {
		t.Errorf("got %q, %d", got, n)
	}
}
