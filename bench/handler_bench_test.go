package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/secrets"
)

// slowTransport answers after a fixed delay, as an upstream on loopback
// does: the handler holds its Lua state for the whole fetch.
type slowTransport struct{ delay time.Duration }

func (t slowTransport) RoundTrip(*http.Request) (*http.Response, error) {
	time.Sleep(t.delay)
	return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody}, nil
}

// BenchmarkHandlerInFlight is the shipped inject_header handler (the one the
// end-to-end comparison runs) called by k goroutines at once, each call
// holding its Lua state through a fetch of 200 µs and then spending as
// long outside the handler (writing the response, reading the next
// request): what 16 keep-alive connections do to the engine. B/op and
// allocs/op per call show whether Lua states are reused or made anew.
func BenchmarkHandlerInFlight(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "inject_header.lua"))
	if err != nil {
		b.Fatal(err)
	}
	store := secrets.StoreFunc(func(context.Context, string) (map[string]string, error) {
		return map[string]string{"token": "bench-secret"}, nil
	})
	for _, k := range []int{1, 8, 16, 32} {
		b.Run(fmt.Sprintf("inflight=%d", k), func(b *testing.B) {
			e, err := engine.New(engine.Options{Dir: b.TempDir(), Transport: slowTransport{200 * time.Microsecond},
				Secrets: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			if err := e.Put("inject_header", src); err != nil {
				b.Fatal(err)
			}
			params := map[string]any{"header": "X-Auth-Token", "secret": "sandboxes/{sandbox_id}", "field": "token"}
			snap := e.Snapshot()
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for g := range k {
				n := b.N / k
				if g < b.N%k {
					n++
				}
				wg.Go(func() {
					for range n {
						time.Sleep(200 * time.Microsecond) // the connection's other half: response out, next request in
						req, _ := http.NewRequest("GET", "https://localhost:8443/echo", nil)
						call := &engine.Call{Handler: "inject_header", Params: params, Request: req,
							SandboxID: "bench", Class: "bench", RequestID: "r"}
						if res, err := snap.Run(context.Background(), call); err != nil || !res.Fetched {
							b.Errorf("got %+v, %v", res, err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
