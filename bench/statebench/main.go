// Command statebench measures the state store (docs/state.md):
// sandbox creation with bolt next to memory, 10,000 sandboxes restored at
// start from bolt and from etcd, the gateway's RSS with them, and how fast a
// change made through one gateway of a fleet of three reaches the others.
// It runs real gateways (the binary built from this checkout) and a real
// etcd on loopback, prints a table and writes JSON.
//
//	go run ./bench/statebench [-n 10000] [-creates 2000] [-changes 200] [-only create,restore,propagation] [-json FILE]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sandgate/sandgate/integration/testbin"
)

// Results is what statebench measured.
type Results struct {
	When        time.Time    `json:"when"`
	Create      []CreateRun  `json:"create"`
	Restore     []RestoreRun `json:"restore"`
	Propagation *Propagation `json:"propagation"`
}

func main() {
	n := flag.Int("n", 10000, "sandboxes stored for the restore measurements")
	creates := flag.Int("creates", 2000, "creations per creation measurement")
	changes := flag.Int("changes", 200, "changes for the propagation measurement")
	out := flag.String("json", "", "also write the results to this file")
	only := flag.String("only", "create,restore,propagation", "which measurements to run (comma-separated)")
	flag.Parse()
	parts = map[string]bool{}
	for _, p := range strings.Split(*only, ",") {
		parts[strings.TrimSpace(p)] = true
	}
	if err := run(*n, *creates, *changes, *out); err != nil {
		fmt.Fprintln(os.Stderr, "statebench:", err)
		os.Exit(1)
	}
}

// parts are the measurements to run (-only).
var parts map[string]bool

func run(n, creates, changes int, out string) error {
	bin, cleanup, err := testbin.Build()
	if err != nil {
		return err
	}
	defer cleanup()
	dir, err := os.MkdirTemp("", "statebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	res := Results{When: time.Now().UTC()}
	for _, c := range []struct {
		backend string
		workers int
	}{{"memory", 1}, {"bolt", 1}, {"memory", 16}, {"bolt", 16}} {
		if !parts["create"] {
			break
		}
		r, err := measureCreate(filepath.Join(dir, fmt.Sprintf("create-%s-%d", c.backend, c.workers)), c.backend, c.workers, creates)
		if err != nil {
			return err
		}
		res.Create = append(res.Create, r)
	}
	for _, backend := range []string{"bolt", "etcd"} {
		if !parts["restore"] {
			break
		}
		r, err := measureRestore(filepath.Join(dir, "restore-"+backend), bin, backend, n)
		if err != nil {
			return err
		}
		res.Restore = append(res.Restore, r)
	}
	if parts["propagation"] {
		if res.Propagation, err = measurePropagation(filepath.Join(dir, "fleet"), bin, changes); err != nil {
			return err
		}
	}
	printTable(res)
	if out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	return nil
}

func printTable(r Results) {
	fmt.Println("sandbox creation (registry.Create: CA, seal, store; bolt commit and sync included)")
	fmt.Printf("  %-8s %8s %8s %10s %10s %10s\n", "backend", "workers", "count", "p50", "p99", "per sec")
	for _, c := range r.Create {
		fmt.Printf("  %-8s %8d %8d %10s %10s %10.0f\n", c.Backend, c.Workers, c.Count, ms(c.P50), ms(c.P99), c.PerSecond)
	}
	fmt.Println("restore at start (real gateway)")
	fmt.Printf("  %-8s %8s %12s %14s %10s\n", "backend", "count", "load", "start->ready", "RSS MB")
	for _, x := range r.Restore {
		fmt.Printf("  %-8s %8d %12s %14s %10.1f\n", x.Backend, x.Count, ms(x.Load), ms(x.Ready), x.RSSMB)
	}
	if p := r.Propagation; p != nil {
		fmt.Println("change propagation across three gateways on etcd (PUT sent on one -> visible on both others)")
		fmt.Printf("  %d changes: p50 %s  p99 %s  max %s\n", p.Count, ms(p.P50), ms(p.P99), ms(p.Max))
		fmt.Printf("  from the PUT's answer (the change committed in etcd): p50 %s  p99 %s\n",
			ms(p.AfterAnswerP50), ms(p.AfterAnswerP99))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
