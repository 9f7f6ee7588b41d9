package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sandgate/sandgate/state/etcd/etcdtest"
)

// Propagation is how long a change through one gateway took to show on
// the two others.
type Propagation struct {
	Count int `json:"count"`
	// From the PUT sent on one gateway until both others show it (the
	// write's own commit included).
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
	// From the PUT's answer (the change is in etcd) until both others
	// show it: the propagation alone.
	AfterAnswerP50 time.Duration `json:"after_answer_p50_ns"`
	AfterAnswerP99 time.Duration `json:"after_answer_p99_ns"`
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// measurePropagation runs three gateways on one etcd and changes one
// sandbox's denied hosts through each in turn; a change counts from the
// moment its PUT is sent until both other gateways show it.
func measurePropagation(dir, bin string, changes int) (*Propagation, error) {
	srv, err := etcdtest.New(filepath.Join(dir, "etcd"))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	key := filepath.Join(dir, "seal.key")
	_ = os.MkdirAll(dir, 0o700)
	stateYAML := fmt.Sprintf("state: { backend: etcd, etcd: { endpoints: [%q], prefix: /prop/ }, seal: { key_file: %s } }", srv.Endpoint, key)
	var gws []*gateway
	for i := range 3 {
		g, err := startGateway(bin, filepath.Join(dir, fmt.Sprintf("g%d", i)), stateYAML)
		if err != nil {
			return nil, err
		}
		defer g.stop()
		gws = append(gws, g)
	}
	ctx := context.Background()
	if code, body, err := gws[0].api(ctx, "POST", "/v1/sandboxes", map[string]any{"id": "p"}); err != nil || code != 201 {
		return nil, fmt.Errorf("creating the sandbox: %d %s %v", code, body, err)
	}
	var lat, after []time.Duration
	for i := range changes {
		writer := gws[i%3]
		host := fmt.Sprintf("c%d.example", i)
		start := time.Now()
		code, body, err := writer.api(ctx, "PUT", "/v1/sandboxes/p/denied-hosts", []string{host})
		if err != nil || code != 200 {
			return nil, fmt.Errorf("change %d: %d %s %v", i, code, body, err)
		}
		answered := time.Since(start)
		var wg sync.WaitGroup
		var mu sync.Mutex
		worst, missed := time.Duration(0), false
		for _, g := range gws {
			if g == writer {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, ok := waitDenied(ctx, g, host, start)
				mu.Lock()
				worst, missed = max(worst, d), missed || !ok
				mu.Unlock()
			}()
		}
		wg.Wait()
		if missed {
			return nil, fmt.Errorf("change %d was not seen everywhere within 10s", i)
		}
		lat, after = append(lat, worst), append(after, max(worst-answered, 0))
	}
	return &Propagation{Count: changes, P50: pct(lat, 50), P99: pct(lat, 99), Max: slices.Max(lat),
		AfterAnswerP50: pct(after, 50), AfterAnswerP99: pct(after, 99)}, nil
}

// waitDenied polls g until sandbox p's runtime denied hosts hold host and
// returns the time since start; false when it did not within 10s.
func waitDenied(ctx context.Context, g *gateway, host string, start time.Time) (time.Duration, bool) {
	for time.Since(start) < 10*time.Second {
		_, body, err := g.api(ctx, "GET", "/v1/sandboxes/p", nil)
		if err == nil {
			var sb struct {
				Runtime struct {
					DeniedHosts []string `json:"denied_hosts"`
				} `json:"runtime"`
			}
			if json.Unmarshal(body, &sb) == nil && slices.Contains(sb.Runtime.DeniedHosts, host) {
				return time.Since(start), true
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	return time.Since(start), false
}
