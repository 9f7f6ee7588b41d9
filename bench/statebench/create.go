package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
	"github.com/sandgate/sandgate/state"
)

// CreateRun is one creation measurement.
type CreateRun struct {
	Backend   string        `json:"backend"`
	Workers   int           `json:"workers"`
	Count     int           `json:"count"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	PerSecond float64       `json:"per_second"`
}

var classes = map[string]*policy.Class{"default": {Name: "default", Intercept: true, DenyStatus: 403}}

// newRegistry is a registry on backend in dir, as serve builds it.
func newRegistry(dir, backend string) (*sandbox.Registry, func(), error) {
	reg := sandbox.NewRegistry(classes)
	if backend == "memory" {
		return reg, func() {}, nil
	}
	st, err := state.OpenBolt(filepath.Join(dir, "state", "sandgate.db"), state.BoltOptions{})
	if err != nil {
		return nil, nil, err
	}
	seal, err := state.OpenKeyFile(filepath.Join(dir, "state", "seal.key"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	reg.Store, reg.Seal = st, seal
	return reg, func() { st.Close() }, nil
}

// measureCreate times count creations made by workers at once.
func measureCreate(dir, backend string, workers, count int) (CreateRun, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return CreateRun{}, err
	}
	reg, done, err := newRegistry(dir, backend)
	if err != nil {
		return CreateRun{}, err
	}
	defer done()
	lat, wall, err := createMany(reg, "c", workers, count)
	if err != nil {
		return CreateRun{}, err
	}
	return CreateRun{Backend: backend, Workers: workers, Count: count, P50: pct(lat, 50), P99: pct(lat, 99),
		PerSecond: float64(count) / wall.Seconds()}, nil
}

// createMany creates count sandboxes (ids prefix0..) with workers at once
// and returns each creation's latency.
func createMany(reg *sandbox.Registry, prefix string, workers, count int) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, count)
	next := make(chan int)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				_, _, err := reg.CreateContext(context.Background(), sandbox.CreateRequest{ID: fmt.Sprintf("%s%06d", prefix, i)})
				lat[i] = time.Since(t)
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()
	return lat, time.Since(start), first
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)]
}
