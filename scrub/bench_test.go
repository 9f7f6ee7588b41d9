package scrub

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchValues are three secrets of the usual shapes: a GitHub token, an
// OpenAI-style key and a JWT.
var benchValues = []string{
	"ghp_R8x2Kq9ZtW4mLp7Vn3Yc6Hd1Fs5Jb0GaUe2i",
	"sk-proj-Tq4Wz8Nc2Lm6Xv0Bp9Rk3Hj7Df1Gs5Ya",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzYi0xIn0.c2lnbmF0dXJl",
}

// benchBody is about 10 MB of JSON records, three of them echoing each
// value.
func benchBody() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 10<<20; i++ {
		fmt.Fprintf(&b, `{"id":%d,"login":"user-%d","url":"https://api.example.com/users/%d","bio":"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.","score":%d.%02d}`+"\n",
			i, i, i, i*7919%100000, i%100)
		if i%20000 == 1 {
			fmt.Fprintf(&b, `{"echo":{"authorization":"Bearer %s","x-api-key":"%s","cookie":"session=%s"}}`+"\n",
				benchValues[0], benchValues[1], benchValues[2])
		}
	}
	return b.Bytes()
}

// BenchmarkReaderAlnum scrubs a body of random letters and digits, where
// the bytes the prefilter takes as rare (digits) are not rare at all: the
// rare-byte hits are dismissed by comparing the bytes around them.
func BenchmarkReaderAlnum(b *testing.B) {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	body := make([]byte, 10<<20)
	x := uint32(12345)
	for i := range body {
		x = x*1664525 + 1013904223
		body[i] = alnum[(x>>24)%uint32(len(alnum))]
	}
	values := []string{"scrub-3a9f0c1d2e4b5a6c7d8e9f00", "scrub-7b7c1e2d3f4a5b6c7d8e9f11", "scrub-0a1b2c3d4e5f6a7b8c9d0e22"}
	b.SetBytes(int64(len(body)))
	buf := make([]byte, 32<<10)
	for b.Loop() {
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{New(values).Reader(bytes.NewReader(body))}, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReader is the scrubber alone against a plain copy of the same
// 10 MB body of JSON, in memory.
func BenchmarkReader(b *testing.B) {
	body := benchBody()
	for _, tc := range []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"copy", func(r io.Reader) io.Reader { return r }},
		{"scrub", func(r io.Reader) io.Reader { return New(benchValues).Reader(r) }},
		// 30 values need more rare bytes than that prefilter takes: the
		// prefix bitmap is used.
		{"scrub-30-values", func(r io.Reader) io.Reader { return New(manyValues(30)).Reader(r) }},
		{"scrub-300-values", func(r io.Reader) io.Reader { return New(manyValues(300)).Reader(r) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			buf := make([]byte, 32<<10)
			for b.Loop() {
				r := tc.wrap(bytes.NewReader(body))
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// manyValues returns the bench values and more of the same shapes.
func manyValues(n int) []string {
	vals := slices.Clone(benchValues)
	for i := len(vals); i < n; i++ {
		vals = append(vals, fmt.Sprintf("tok_%08x%08xQz", i*2654435761, i))
	}
	return vals
}

// BenchmarkForward is what a proxy pays per byte for a 10 MB response: the
// upstream's TLS encryption and the client side's decryption (the two
// ends of the gateway's forwarding) over loopback, with and without the
// scrubber on the client side. It reports the process CPU time per byte.
func BenchmarkForward(b *testing.B) {
	body := benchBody()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:    &tls.Config{InsecureSkipVerify: true},
		DisableCompression: true,
	}}
	for _, tc := range []struct {
		name   string
		values []string
	}{
		{"passthrough", nil},
		{"scrubbed", benchValues},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			buf := make([]byte, 32<<10)
			start := cpuTime()
			for b.Loop() {
				res, err := client.Get(srv.URL)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Response(res, tc.values); err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{res.Body}, buf)
				res.Body.Close()
				if err != nil || n < int64(len(body))-1000 {
					b.Fatalf("got %d bytes, %v", n, err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/float64(len(body)), "cpu-ns/B")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestBenchBodyCarriesValues(t *testing.T) {
	body := string(benchBody())
	got, n := New(benchValues).String(body)
	if n < 3*len(benchValues) || strings.Contains(got, benchValues[0]) {
		t.Errorf("got %d replacements, want at least %d and no value left", n, 3*len(benchValues))
	}
}

// BenchmarkResponseSmall is what scrubbing adds to a small response (a
// JSON answer of 200 bytes) of a request that read one secret: the
// per-response cost the end-to-end keep-alive shape sees.
func BenchmarkResponseSmall(b *testing.B) {
	body := strings.Repeat("{\"ok\":true} ", 16)
	values := []string{"bench-secret-value-0123"}
	b.ReportAllocs()
	for b.Loop() {
		res := &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{
			"Content-Type": {"application/json"}, "Content-Length": {"192"}, "Date": {"Mon, 07 Dec 2026 01:00:00 GMT"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
		if _, err := Response(res, values); err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
	}
}
