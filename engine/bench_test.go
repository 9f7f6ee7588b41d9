package engine

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
)

// cannedTransport answers every request with the same small response.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody,
	}, nil
}

// BenchmarkHandlerCall is one call of a handler that injects a header from a
// secret and forwards the request.
func BenchmarkHandlerCall(b *testing.B) {
	req, _ := http.NewRequest("GET", "https://api.github.com/user", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bench")
	benchHandler(b, map[string]map[string]string{"sandboxes/sb1": {"github_token": "ghp_0123456789abcdef"}},
		&Call{Handler: "github_auth", Request: req, SandboxID: "sb1", Class: "default", RequestID: "r1"})
}

// BenchmarkInjectHeaderCall is one call of the shipped inject_header, the
// handler `make bench` runs end to end: its declared params are checked
// and their defaults filled in, it expands {sandbox_id} in the secret path,
// reads the secret, sets the header and forwards.
func BenchmarkInjectHeaderCall(b *testing.B) {
	req, _ := http.NewRequest("GET", "https://api.example.com/echo", nil)
	benchHandler(b, map[string]map[string]string{"sandboxes/sb1": {"token": "tok-0123456789abcdef"}},
		&Call{Handler: "inject_header", Request: req, SandboxID: "sb1", Class: "default", RequestID: "r1",
			Params: map[string]any{"header": "X-Auth-Token", "secret": "sandboxes/{sandbox_id}", "field": "token"}})
}

// benchHandler loads the shipped script call.Handler with the given secrets
// and a transport that answers at once, then times call.
func benchHandler(b *testing.B, secrets map[string]map[string]string, call *Call) {
	src, err := os.ReadFile("../scripts/" + call.Handler + ".lua")
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(Options{
		Dir:       b.TempDir(),
		Transport: cannedTransport{},
		Secrets:   &fakeStore{data: secrets},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Put(call.Handler, src); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	snap := e.Snapshot()
	b.ReportAllocs()
	for b.Loop() {
		res, err := snap.Run(ctx, call)
		if err != nil || !res.Fetched {
			b.Fatalf("got %+v, %v", res, err)
		}
	}
}
