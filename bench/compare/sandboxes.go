package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/bench/internal/proc"
	"github.com/sandgate/sandgate/bench/internal/systems"
)

// sandboxDeadline bounds the sandbox run in time, whatever its count.
const sandboxDeadline = 3 * time.Minute

// sandboxWorkers is how many POSTs are in flight at once: one per core.
const sandboxWorkers = 2

// sandboxRun starts a fresh gateway (file secrets), creates b.sandboxes
// sandboxes through POST /v1/sandboxes and reads its memory before and
// after.
func (b *bench) sandboxRun(ctx context.Context) *SandboxRun {
	sr := &SandboxRun{Requested: b.sandboxes, Workers: sandboxWorkers, StatusCount: -1}
	dir, err := os.MkdirTemp(b.work, "sandboxes-")
	if err != nil {
		sr.Error = err.Error()
		return sr
	}
	g, err := systems.StartSandgate(systems.SandgateOptions{Bin: b.sandgateBin, Dir: dir, ScriptsFrom: b.scripts,
		UpstreamCA: filepath.Join(b.work, "upstream-ca.pem"), Secret: "unused"})
	if err != nil {
		sr.Error = err.Error()
		return sr
	}
	defer g.Stop()
	time.Sleep(time.Second) // let the start settle before the baseline
	sr.RSSBefore = proc.Mem(g.PID()).RSS
	sampler := proc.Sample(g.PID(), 100*time.Millisecond)
	ctx, cancel := context.WithTimeout(ctx, sandboxDeadline)
	defer cancel()
	lat, failed, firstErr := createMany(ctx, g, b.sandboxes, sr)
	sr.PeakRSS = sampler.Stop()
	m := proc.Mem(g.PID())
	sr.RSSAfter, sr.HWM = m.RSS, m.HWM
	sr.Created, sr.Failed = len(lat)-failed, failed
	if firstErr != nil {
		sr.Error = firstErr.Error()
	}
	slices.Sort(lat)
	sr.P50ms, sr.P99ms = quantileMs(lat, 0.50), quantileMs(lat, 0.99)
	var status struct {
		Sandboxes *int `json:"sandboxes"`
	}
	if err := g.API("GET", "/v1/status", nil, http.StatusOK, &status); err == nil && status.Sandboxes != nil {
		sr.StatusCount = *status.Sandboxes
	}
	sr.LiveHeap = liveHeap(g)
	if sr.LiveHeap > 0 {
		sr.RSSAfterGC = proc.Mem(g.PID()).RSS
	}
	fmt.Fprintf(os.Stderr, "sandboxes: %d created in %.1fs (p50 %.2f ms, p99 %.2f ms), RSS %.1f -> %.1f MB (peak %.1f MB)\n",
		sr.Created, sr.Seconds, sr.P50ms, sr.P99ms, mb(sr.RSSBefore), mb(sr.RSSAfter), mb(sr.PeakRSS))
	return sr
}

// createMany posts n sandboxes with sandboxWorkers in parallel until done,
// the first failure, or ctx ends; it returns every request's latency.
func createMany(ctx context.Context, g *systems.Sandgate, n int, sr *SandboxRun) ([]time.Duration, int, error) {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
		failed   int
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range sandboxWorkers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				t0 := time.Now()
				err := g.API("POST", "/v1/sandboxes", map[string]any{"id": fmt.Sprintf("sb-%06d", i), "class": "bench"}, http.StatusCreated, nil)
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				if err != nil {
					failed++
					if firstErr == nil {
						firstErr = err
					}
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	sr.Seconds = time.Since(start).Seconds()
	if ctx.Err() != nil && firstErr == nil && len(lat) < n {
		firstErr = fmt.Errorf("stopped after %d of %d sandboxes: %w", len(lat), n, ctx.Err())
	}
	return lat, failed, firstErr
}

// liveHeap forces a GC through /debug/pprof/heap?gc=1 and returns the
// HeapAlloc it reports; 0 if the admin API does not serve it.
func liveHeap(g *systems.Sandgate) uint64 {
	req, err := http.NewRequest("GET", g.Admin+"/debug/pprof/heap?gc=1&debug=1", nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapAlloc = "); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func quantileMs(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return ms(sorted[max(0, min(i, len(sorted)-1))])
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
