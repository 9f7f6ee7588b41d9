package main

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// hammerTimeout bounds one request of hammer.
const hammerTimeout = 30 * time.Second

// tally counts what a sandbox's requests got: "200", "502 error; reason=
// handler_error" (the status and the Sandgate-Decision header), or
// "failed: <kind>" when no response came.
type tally struct {
	mu     sync.Mutex
	counts map[string]int
	total  int
}

func (t *tally) add(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[string]int{}
	}
	t.counts[key]++
	t.total++
}

// snapshot returns the total and a copy of the counts.
func (t *tally) snapshot() (int, map[string]int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.counts))
	for k, v := range t.counts {
		out[k] = v
	}
	return t.total, out
}

// hammer sends the sandbox's requests to target with c workers, each one
// request at a time with no pause over a keep-alive connection, until ctx
// ends, and counts what they got. Requests in flight then are let finish
// (each is bounded by hammerTimeout), so that what the gateway does with
// them is seen. Unlike load.Run it expects failures (a looping or
// memory-hungry handler) and says which.
func (e *env) hammer(ctx context.Context, sb *sandbox, c int) *tally {
	tr := &http.Transport{Proxy: http.ProxyURL(sb.proxy), TLSClientConfig: &tls.Config{RootCAs: sb.pool},
		MaxIdleConnsPerHost: c, DisableCompression: true, TLSHandshakeTimeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: hammerTimeout}
	t := &tally{}
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for ctx.Err() == nil {
				t.add(e.hit(context.WithoutCancel(ctx), hc, e.up.URL))
			}
		})
	}
	wg.Wait()
	return t
}

// hit makes one request and names its outcome.
func (e *env) hit(ctx context.Context, hc *http.Client, target string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "failed: " + err.Error()
	}
	res, err := hc.Do(req)
	if err != nil {
		time.Sleep(10 * time.Millisecond) // no busy loop against a dead gateway
		return "failed: " + errKind(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	key := strconv.Itoa(res.StatusCode)
	if d := res.Header.Get("Sandgate-Decision"); d != "" {
		key += " " + d
	}
	return key
}
