// Command compare runs the end-to-end comparison of `make bench`: it starts
// an ECDSA TLS upstream on 127.0.0.1 and every system (direct, sandgate with
// file and with Vault secrets, mitmproxy, Squid), then runs bench/loadgen
// against each in turn, in alternating rounds (A B C D E A B C D E ...), for
// both shapes (keep-alive, and a new connection per request). It reads each
// proxy's CPU time and memory from /proc, then creates many sandboxes
// through the admin API of a fresh gateway. Everything goes to one JSON file
// that bench/report turns into BENCHMARKS.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sandgate/sandgate/bench/internal/systems"
)

// bench is one comparison run.
type bench struct {
	sandgateBin, loadgen, vaultBin, scripts string
	work                                    string
	rounds, conc, maxReq, sandboxes         int
	warmup, duration                        time.Duration
	shapes, only                            []string
	host                                    string // the host name of the target URL
	profileDir                              string // where the profile of sandgate goes; empty: none
	target                                  target
}

func main() {
	b := &bench{}
	out := flag.String("out", "bench-results.json", "where the results go (JSON)")
	flag.StringVar(&b.sandgateBin, "sandgate", "bin/sandgate", "the sandgate binary")
	flag.StringVar(&b.loadgen, "loadgen", "", "the bench/loadgen binary")
	flag.StringVar(&b.vaultBin, "vault", systems.VaultBin(), "the vault binary")
	flag.StringVar(&b.scripts, "scripts", "scripts", "the repository's scripts directory")
	flag.IntVar(&b.rounds, "rounds", 3, "rounds per system and shape")
	flag.IntVar(&b.conc, "c", 16, "concurrency (connections with keep-alive)")
	flag.IntVar(&b.maxReq, "n", 2_000_000, "count bound of one round")
	flag.IntVar(&b.sandboxes, "sandboxes", 10_000, "sandboxes to create in the sandbox run (0: skip)")
	flag.DurationVar(&b.warmup, "warmup", time.Second, "warm-up of each round (not counted)")
	flag.DurationVar(&b.duration, "d", 8*time.Second, "time bound of each round")
	flag.StringVar(&b.host, "host", "localhost", "host in the target URL: localhost (Squid's client-first bump needs a name) or 127.0.0.1")
	flag.StringVar(&b.profileDir, "profile", "", "directory for a CPU profile of sandgate (file) in one extra keep-alive round")
	shapes := flag.String("shapes", "keepalive,newconn", "shapes to run")
	only := flag.String("systems", "direct,sandgate-file,sandgate-vault,mitmproxy,squid-stare,squid-bump", "systems to run, in round order")
	flag.Parse()
	b.shapes, b.only = strings.Split(*shapes, ","), strings.Split(*only, ",")
	if b.loadgen == "" {
		fmt.Fprintln(os.Stderr, "compare: -loadgen is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := b.run(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	res.Command = strings.Join(os.Args, " ")
	js, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(*out, append(js, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "compare: results in", *out)
}

func (b *bench) run(ctx context.Context) (*Results, error) {
	began := time.Now()
	var err error
	if b.work, err = os.MkdirTemp("", "sandgate-bench-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(b.work)
	if err := os.Chmod(b.work, 0o755); err != nil { // Squid's user works below it
		return nil, err
	}
	env, err := b.setUp()
	if err != nil {
		env.stop()
		return nil, err
	}
	defer env.stop()
	res := &Results{Date: began.UTC().Format(time.RFC3339), Machine: machine(), Versions: b.versions(env),
		Settings: Settings{Rounds: b.rounds, Warmup: b.warmup.String(), Duration: b.duration.String(),
			MaxRequests: b.maxReq, Concurrency: b.conc, Shapes: b.shapes, Host: b.host}}
	for _, s := range env.systems {
		res.Systems = append(res.Systems, SystemInfo{Key: s.Key, Name: s.Name, Version: s.Version, Notes: s.Notes})
		res.Settings.Order = append(res.Settings.Order, s.Key)
	}
	if err := b.preflight(ctx, env.systems); err != nil {
		return nil, err
	}
	for _, shape := range b.shapes {
		for round := 1; round <= b.rounds; round++ {
			for _, s := range env.systems {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				r := b.runRound(ctx, s, shape, round)
				logRound(r)
				res.Rounds = append(res.Rounds, r)
				time.Sleep(500 * time.Millisecond) // let the last connections close
			}
		}
	}
	if b.profileDir != "" {
		b.profile(ctx, env.systems)
	}
	env.stop() // the sandbox run gets the machine to itself
	if b.sandboxes > 0 {
		res.Sandboxes = b.sandboxRun(ctx)
	}
	res.Seconds = time.Since(began).Seconds()
	return res, nil
}

// profile takes the CPU profile of sandgate-file, if it runs; a failure
// is reported, not fatal.
func (b *bench) profile(ctx context.Context, list []*systems.System) {
	for _, s := range list {
		if s.Key != "sandgate-file" {
			continue
		}
		file, kind, err := b.profileRound(ctx, s, b.profileDir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "compare: profile:", err)
			return
		}
		fmt.Fprintf(os.Stderr, "compare: %s profile of sandgate in %s\n", kind, file)
	}
}

func logRound(r Round) {
	l := r.Load
	fmt.Fprintf(os.Stderr, "%-9s round %d %-15s %8.0f req/s  p50 %7.3f ms  p99 %7.3f ms  errors %d  cpu %.3f ms/req  rss %.1f MB %s\n",
		r.Shape, r.Round, r.System, l.RPS, l.P50, l.P99, l.Errors, r.CPUReq, float64(r.PeakRSS)/(1<<20), r.Failure)
	for _, s := range l.ErrorSamples {
		fmt.Fprintln(os.Stderr, "    error:", s)
	}
}
