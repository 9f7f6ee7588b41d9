// Command compare runs the end-to-end comparison of `make bench`: it starts
// an ECDSA TLS upstream on 127.0.0.1 and every system (direct, sandgate with
// file and with Vault secrets, mitmproxy, Squid), then runs bench/loadgen
// against each in turn, in alternating rounds (A B C D E A B C D E ...), for
// each shape: HTTP/1.1 keep-alive and a new connection per request on every
// system; HTTP/2 with 16 and 100 streams on one connection, a WebSocket
// echo, a 10 MB body scrubbed of secret values against the same body not
// scrubbed, and a paced sandbox alone against the same beside a flooding
// sandbox, on direct and sandgate (file secrets). It reads each proxy's CPU
// time and memory from /proc, then creates many sandboxes through the admin
// API of a fresh gateway. Everything goes to one JSON file that
// bench/report turns into BENCHMARKS.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
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
	// scrubLinked says the sandgate binary holds package scrub; scrubOn
	// that, or that the preflight saw a scrubbed body: the scrub shape then
	// fails on any value that comes through.
	scrubLinked, scrubOn bool
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
	flag.StringVar(&b.profileDir, "profile", "", "directory for CPU profiles of sandgate (file) in one extra keep-alive round and, if h2-16 runs, one of it")
	shapes := flag.String("shapes", strings.Join(allShapes, ","), "shapes to run")
	only := flag.String("systems", "direct,sandgate-file,sandgate-vault,mitmproxy,squid-stare,squid-bump", "systems to run, in round order")
	flag.Parse()
	b.shapes, b.only = strings.Split(*shapes, ","), strings.Split(*only, ",")
	if b.loadgen == "" {
		fmt.Fprintln(os.Stderr, "compare: -loadgen is required")
		os.Exit(2)
	}
	if err := checkShapes(b.shapes); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
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
	b.scrubLinked = scrubLinked(b.sandgateBin)
	b.scrubOn = b.scrubLinked
	res := &Results{Date: began.UTC().Format(time.RFC3339), Machine: machine(), Versions: b.versions(env),
		Settings: b.settings(), ScrubLinked: b.scrubLinked}
	for _, s := range env.systems {
		res.Systems = append(res.Systems, SystemInfo{Key: s.Key, Name: s.Name, Version: s.Version, Notes: s.Notes})
		res.Settings.Order = append(res.Settings.Order, s.Key)
	}
	if err := b.preflight(ctx, env); err != nil {
		return nil, err
	}
	for _, shape := range b.shapes {
		legs := b.legs(env, shape)
		for round := 1; round <= b.rounds && len(legs) > 0; round++ {
			for _, l := range legs {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				r := b.runRound(ctx, l, shape, round)
				logRound(r)
				res.Rounds = append(res.Rounds, r)
				time.Sleep(500 * time.Millisecond) // let the last connections close
				if l.flood != nil {
					time.Sleep(time.Second) // and the flood's 64
				}
			}
		}
	}
	if b.profileDir != "" {
		b.profile(ctx, env)
	}
	env.stop() // the sandbox run gets the machine to itself
	if b.sandboxes > 0 {
		res.Sandboxes = b.sandboxRun(ctx)
	}
	res.Seconds = time.Since(began).Seconds()
	return res, nil
}

// profile takes CPU profiles of sandgate-file, if it runs: under the
// keep-alive load and, if the h2-16 shape ran, under that (files with
// suffix -h2-16); a failure is reported, not fatal.
func (b *bench) profile(ctx context.Context, e *env) {
	for _, s := range e.systems {
		if s.Key != "sandgate-file" {
			continue
		}
		for _, shape := range []string{shapeKeepAlive, shapeH2x16} {
			suffix := ""
			if shape != shapeKeepAlive {
				if !slices.Contains(b.shapes, shape) {
					continue
				}
				suffix = "-" + shape
			}
			file, kind, err := b.profileRound(ctx, b.legsOf(e, s, shape)[0], shape, b.profileDir, suffix)
			if err != nil {
				fmt.Fprintln(os.Stderr, "compare: profile:", err)
				return
			}
			fmt.Fprintf(os.Stderr, "compare: %s profile of sandgate (%s) in %s\n", kind, shape, file)
		}
	}
}

func (b *bench) settings() Settings {
	s := Settings{Rounds: b.rounds, Warmup: b.warmup.String(), Duration: b.duration.String(),
		MaxRequests: b.maxReq, Concurrency: b.conc, Shapes: b.shapes, Host: b.host}
	if slices.Contains(b.shapes, shapeWS) {
		s.WSMsgSize = wsMsgSize
	}
	if slices.Contains(b.shapes, shapeScrub) {
		s.BlobSize, s.BlobValues, s.ScrubConc = blobSize, len(b.target.blobValues), scrubConc
	}
	if slices.Contains(b.shapes, shapeFair) {
		s.FairConc, s.FairInterval, s.FloodConc = fairConc, fairInterval.String(), floodConc
	}
	return s
}

func logRound(r Round) {
	l := r.Load
	fmt.Fprintf(os.Stderr, "%-9s round %d %-23s %8.0f req/s  p50 %7.3f ms  p99 %7.3f ms  errors %d  cpu %.3f ms/req  rss %.1f MB%s %s\n",
		r.Shape, r.Round, r.Key(), l.RPS, l.P50, l.P99, l.Errors, r.CPUReq, float64(r.PeakRSS)/(1<<20), extras(r), r.Failure)
	for _, s := range l.ErrorSamples {
		fmt.Fprintln(os.Stderr, "    error:", s)
	}
	if r.Flood != nil {
		for _, s := range r.Flood.ErrorSamples {
			fmt.Fprintln(os.Stderr, "    flood error:", s)
		}
	}
}

// extras are the figures of a round beyond the common ones.
func extras(r Round) string {
	l, s := r.Load, ""
	if l.Bytes > 0 {
		s += fmt.Sprintf("  %.0f MB/s  cpu %.2f ms/MB  redacted %d intact %d", float64(l.Bytes)/1e6/l.Seconds, r.CPUms/(float64(l.Bytes)/1e6),
			l.Redacted, l.Intact)
	}
	if l.UpstreamProto != "" || l.Proto == "h2" {
		s += fmt.Sprintf("  %d conn, upstream %s", l.Conns, l.UpstreamProto)
	}
	if r.Flood != nil {
		s += fmt.Sprintf("  flood %.0f req/s (%d errors)", r.Flood.RPS, r.Flood.Errors)
	}
	return s
}
