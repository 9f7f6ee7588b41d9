package integration

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFleetEtcdPartitionAndOutage cuts A off etcd while B goes on changing
// things, then stops etcd for everyone: traffic goes on, admin changes get
// 503, and once etcd answers again A catches up with what it missed.
func TestFleetEtcdPartitionAndOutage(t *testing.T) {
	f := newFleetCut(t, 2, true)
	a, b := f.gws[0], f.gws[1]
	keep := b.createSandbox(map[string]any{"id": "keep"})
	b.createSandbox(map[string]any{"id": "gone"})
	b.createSandbox(map[string]any{"id": "change"})
	fleetWait(t, "sandboxes on A", func() bool { return a.has("keep") && a.has("gone") && a.has("change") })

	f.cut.Cut()
	took := fleetWait(t, "A unhealthy", func() bool { return !a.status().State.Healthy })
	t.Logf("A cut off etcd: status healthy false after %v", took)
	if r := curl(t, append(viaProxy(a, keep), f.tlsUp+"/cut")...); r.Status != 200 {
		t.Fatalf("traffic through A while cut off: got exit %d status %d (%s), want 200", r.Exit, r.Status, r.Stderr)
	}
	start := time.Now()
	code, body := a.api("POST", "/v1/sandboxes", map[string]any{"id": "refused"})
	t.Logf("admin change on A while cut off: %d after %v (dial_timeout 2s)", code, time.Since(start))
	if code != 503 || !strings.Contains(string(body), `"state store unavailable: `) {
		t.Fatalf("admin change on A while cut off: got %d %s, want 503 state store unavailable", code, body)
	}
	if code, _ := a.api("PUT", "/v1/sandboxes/keep/denied-hosts", []string{"x.example"}); code != 503 {
		t.Errorf("override change on A while cut off: got %d, want 503", code)
	}
	// Meanwhile B changes things.
	b.createSandbox(map[string]any{"id": "new"})
	b.mustAPI(204, "DELETE", "/v1/sandboxes/gone", nil)
	b.mustAPI(200, "PUT", "/v1/sandboxes/change/denied-hosts", []string{"meanwhile.example"})
	if !a.has("gone") || a.has("new") {
		t.Fatal("A saw changes while cut off etcd")
	}

	f.cut.Heal()
	took = fleetWait(t, "A caught up", func() bool {
		return a.has("new") && !a.has("gone") && listHas(a.runtimeDenied("change"), "meanwhile.example")
	})
	t.Logf("A back in touch with etcd: caught up after %v (the promise: within 5s)", took)
	fleetWait(t, "A healthy", func() bool { return a.status().State.Healthy })
	mfs := scrape(t, a)
	if n := metric(mfs, "sandgate_state_resyncs_total", map[string]string{}); n < 1 {
		t.Errorf("sandgate_state_resyncs_total on A: got %v, want at least 1", n)
	}
	if n := metric(mfs, "sandgate_state_store_errors_total", map[string]string{"op": "create"}); n < 1 {
		t.Errorf(`sandgate_state_store_errors_total{op="create"} on A: got %v, want at least 1`, n)
	}

	// etcd down for everyone.
	f.etcd.Stop()
	fleetWait(t, "B unhealthy", func() bool { return !b.status().State.Healthy })
	for _, g := range []*gateway{a, b} {
		if r := curl(t, append(viaProxy(g, keep), f.tlsUp+"/down")...); r.Status != 200 {
			t.Fatalf("traffic with etcd down: got exit %d status %d (%s), want 200", r.Exit, r.Status, r.Stderr)
		}
		if code, _ := g.api("POST", "/v1/sandboxes", map[string]any{"id": "refused"}); code != 503 {
			t.Errorf("admin change with etcd down: got %d, want 503", code)
		}
	}
	if err := f.etcd.Restart(); err != nil {
		t.Fatal(err)
	}
	fleetWait(t, "B healthy", func() bool { return b.status().State.Healthy })
	b.createSandbox(map[string]any{"id": "after"})
	took = fleetWait(t, "a change after etcd came back", func() bool { return a.has("after") })
	t.Logf("etcd back: a creation on B seen on A after %v", took)
}

// TestFleetGatewayKilledUnderLoad spreads requests over three gateways and
// kills one: only requests in flight on it fail; the others see none.
func TestFleetGatewayKilledUnderLoad(t *testing.T) {
	f := newFleet(t, 3)
	sb := f.gws[0].createSandbox(map[string]any{"id": "load"})
	for _, g := range f.gws[1:] {
		fleetWait(t, "sandbox everywhere", func() bool { return g.has("load") })
	}
	clients := make([]*http.Client, 3)
	for i, g := range f.gws {
		clients[i] = proxyClient(t, g, sb)
	}
	const workers, maxRequests = 4, 3000
	var (
		sent   atomic.Int64
		dead   atomic.Bool // the balancer took C out after its first failure
		ok     [3]atomic.Int64
		failed [3]atomic.Int64
		wg     sync.WaitGroup
	)
	stop := time.Now().Add(3 * time.Second)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; time.Now().Before(stop) && sent.Add(1) <= maxRequests; i++ {
				g := i % 3
				if g == 2 && dead.Load() {
					g = i % 2
				}
				res, err := clients[g].Get(f.tlsUp + "/load")
				if err == nil {
					res.Body.Close()
				}
				if err != nil || res.StatusCode != 200 {
					failed[g].Add(1)
					if g == 2 {
						dead.Store(true)
					}
					continue
				}
				ok[g].Add(1)
			}
		}()
	}
	time.Sleep(time.Second)
	f.gws[2].Kill()
	wg.Wait()
	t.Logf("ok A=%d B=%d C=%d, failed A=%d B=%d C=%d", ok[0].Load(), ok[1].Load(), ok[2].Load(),
		failed[0].Load(), failed[1].Load(), failed[2].Load())
	if failed[0].Load() != 0 || failed[1].Load() != 0 {
		t.Errorf("requests through the live gateways failed: A=%d B=%d", failed[0].Load(), failed[1].Load())
	}
	if n := failed[2].Load(); n > workers {
		t.Errorf("%d requests failed on the killed gateway, want at most the %d in flight", n, workers)
	}
	if ok[2].Load() == 0 {
		t.Error("no request went through C before it was killed")
	}
}
