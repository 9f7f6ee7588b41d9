package load_test

import (
	"context"
	"testing"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/upstream"
)

// TestRunPacedCountsTheSchedule sends directly to an echo upstream: a
// paced run counts exactly the requests due in its measured window, each
// checked, whatever the machine's speed.
func TestRunPacedCountsTheSchedule(t *testing.T) {
	ca, err := upstream.NewCA("paced test CA")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := upstream.Start(ca, "X-Test")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	res, err := load.RunPaced(context.Background(), load.Config{URL: srv.URL, RootCAs: ca.Pool(), Header: "X-Test",
		Send: "v", Want: "v", Concurrency: 4, KeepAlive: true, Warmup: 100 * time.Millisecond,
		Duration: 500 * time.Millisecond}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 100 || res.OK != 100 {
		t.Fatalf("got %d requests, %d ok (%v); want the 100 due in 500ms at 200/s", res.Requests, res.OK, res.ErrorSamples)
	}
	if _, err := load.RunPaced(context.Background(), load.Config{URL: srv.URL, RootCAs: ca.Pool(), Header: "X-Test",
		Want: "v", Concurrency: 1, MaxRequests: 5}, 10); err == nil {
		t.Error("no Duration: got no error")
	}
}
