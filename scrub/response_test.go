package scrub

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const echoed = "ghp_0123456789abcdef"

func newResponse(body string, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: header, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
	}
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	if err := res.Body.Close(); err != nil {
		t.Fatalf("closing the body: %v", err)
	}
	return string(b)
}

func TestResponseEncodings(t *testing.T) {
	body := `{"headers": {"Authorization": "Bearer ` + echoed + `"}}`
	want := `{"headers": {"Authorization": "Bearer [redacted]"}}`
	for _, tc := range []struct {
		name, encoding string
		gzip           bool
	}{
		{"no encoding", "", false},
		{"identity", "identity", false},
		{"gzip", "gzip", true},
		{"x-gzip", "X-Gzip", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := body
			h := http.Header{"X-Echo": {"Bearer " + echoed}}
			if tc.encoding != "" {
				h.Set("Content-Encoding", tc.encoding)
			}
			if tc.gzip {
				sent = gzipped(t, body)
			}
			res := newResponse(sent, h)
			c, err := Response(res, []string{echoed})
			if err != nil {
				t.Fatalf("Response: %v", err)
			}
			if got := readBody(t, res); got != want {
				t.Errorf("body: got %q, want %q", got, want)
			}
			if got := res.Header.Get("X-Echo"); got != "Bearer [redacted]" {
				t.Errorf("X-Echo: got %q, want %q", got, "Bearer [redacted]")
			}
			if got := res.Header.Get("Content-Length"); got != "" || res.ContentLength != -1 {
				t.Errorf("Content-Length: got %q and %d, want none and -1", got, res.ContentLength)
			}
			if tc.gzip && (res.Header.Get("Content-Encoding") != "" || !res.Uncompressed) {
				t.Errorf("gzip: Content-Encoding %q, Uncompressed %v, want none and true", res.Header.Get("Content-Encoding"), res.Uncompressed)
			}
			if got := c.Load(); got != 2 {
				t.Errorf("count: got %d, want 2", got)
			}
		})
	}
}

func TestResponseUnscannable(t *testing.T) {
	for _, enc := range []string{"br", "deflate", "zstd", "gzip, br"} {
		t.Run(enc, func(t *testing.T) {
			res := newResponse("\x8b\x00binary", http.Header{"Content-Encoding": {enc}, "X-Echo": {echoed}})
			body := res.Body
			_, err := Response(res, []string{echoed})
			if !errors.Is(err, ErrUnscannable) {
				t.Fatalf("got %v, want ErrUnscannable", err)
			}
			if res.Body != body || res.Header.Get("X-Echo") != echoed {
				t.Error("the response was changed; want it untouched")
			}
		})
	}
	t.Run("two Content-Encoding fields", func(t *testing.T) {
		res := newResponse("x", http.Header{"Content-Encoding": {"gzip", "br"}})
		if _, err := Response(res, []string{echoed}); !errors.Is(err, ErrUnscannable) {
			t.Fatalf("got %v, want ErrUnscannable", err)
		}
	})
	t.Run("no body", func(t *testing.T) {
		res := newResponse("", http.Header{"Content-Encoding": {"br"}})
		res.Body = http.NoBody
		if _, err := Response(res, []string{echoed}); err != nil {
			t.Fatalf("got %v, want nil: there is no body to scan", err)
		}
	})
}

func TestResponseUntouchedWithoutValues(t *testing.T) {
	for _, values := range [][]string{nil, {"short"}, {""}} {
		res := newResponse("hello short", http.Header{"Content-Encoding": {"br"}})
		body := res.Body
		c, err := Response(res, values)
		if err != nil || res.Body != body || res.Header.Get("Content-Length") != "11" || c.Load() != 0 {
			t.Errorf("values %q: got %v, body replaced %v, Content-Length %q; want the response untouched",
				values, err, res.Body != body, res.Header.Get("Content-Length"))
		}
	}
}

func TestResponseHeadersStatusAndTrailers(t *testing.T) {
	res := newResponse("body", http.Header{
		"X-A":              {"one", "two " + echoed},
		"X-" + echoed[:20]: {"named after the value"},
		"Trailer":          {"X-Checksum"},
	})
	res.Status = "200 " + echoed
	res.Trailer = http.Header{"X-Checksum": nil}
	res.Body = &trailerBody{Reader: strings.NewReader("body " + echoed), res: res}
	c, err := Response(res, []string{echoed})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Header.Values("X-A"); len(got) != 2 || got[1] != "two [redacted]" {
		t.Errorf("X-A: got %q, want [one, two [redacted]]", got)
	}
	if _, ok := res.Header["X-"+echoed[:20]]; ok {
		t.Error("a header whose name holds the value is still there")
	}
	if res.Status != "200 [redacted]" {
		t.Errorf("status: got %q, want %q", res.Status, "200 [redacted]")
	}
	if got := readBody(t, res); got != "body [redacted]" {
		t.Errorf("body: got %q, want %q", got, "body [redacted]")
	}
	if got := res.Trailer.Get("X-Checksum"); got != "sum [redacted]" {
		t.Errorf("trailer: got %q, want %q", got, "sum [redacted]")
	}
	if got := c.Load(); got != 5 {
		t.Errorf("count: got %d, want 5", got)
	}
}

// trailerBody fills the response's trailers when it reaches its end, as
// net/http does.
type trailerBody struct {
	io.Reader
	res *http.Response
}

func (b *trailerBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF {
		b.res.Trailer.Set("X-Checksum", "sum "+echoed)
	}
	return n, err
}

func (b *trailerBody) Close() error { return nil }

func TestResponseBadGzip(t *testing.T) {
	res := newResponse("not gzip at all "+echoed, http.Header{"Content-Encoding": {"gzip"}})
	if _, err := Response(res, []string{echoed}); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	if err == nil || strings.Contains(string(b), echoed) {
		t.Errorf("got %d bytes (value present: %v), %v; want a gzip error and no value",
			len(b), strings.Contains(string(b), echoed), err)
	}
}
