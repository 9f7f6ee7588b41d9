// Command loadgen sends HTTPS requests to an echo upstream, directly or
// through a proxy (CONNECT with proxy credentials), with TLS verified
// against the CA it is given, at a fixed concurrency, and checks on every
// response that the upstream saw the expected header value.
//
//	loadgen -url https://127.0.0.1:8443/echo -proxy http://sb:tok@127.0.0.1:3128 \
//	    -cacert ca.pem -want SECRET -c 16 -d 8s -n 2000000 [-keepalive=false]
//
// Other modes: -mode h2 (every request a stream of one HTTP/2 connection,
// -c streams in flight), -mode ws (-url wss://.../ws: -c WebSocket
// connections, each sending a -msg-size message and waiting for its echo)
// and -mode blob (-url .../blob: the large body of bench/internal/upstream,
// made from the values in -blob-values, checked whole: -expect intact,
// redacted or any). -interval paces each worker.
//
// It prints "phase measure" when counting starts, "phase done" when the last
// counted request has finished (so a caller can read the proxy's CPU time at
// those moments), then "result " and the result as JSON. A summary goes to
// stderr. It exits 1 if any counted request failed.
package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/upstream"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		target    = flag.String("url", "", "https URL of the echo upstream")
		proxy     = flag.String("proxy", "", "proxy URL with credentials (empty: direct)")
		caFile    = flag.String("cacert", "", "PEM file of the CA to verify the TLS server against")
		header    = flag.String("header", "X-Auth-Token", "header the upstream must have received")
		send      = flag.String("send", "", "value the client sets on -header itself (direct)")
		want      = flag.String("want", "", "value the upstream must report for -header")
		conc      = flag.Int("c", 16, "concurrent workers (connections with -keepalive)")
		warmup    = flag.Duration("warmup", time.Second, "warm-up before counting")
		duration  = flag.Duration("d", 8*time.Second, "measurement time bound")
		maxReq    = flag.Int("n", 2_000_000, "measurement count bound")
		keepAlive = flag.Bool("keepalive", true, "reuse connections; false: new connection, CONNECT and TLS per request")
		timeout   = flag.Duration("timeout", 10*time.Second, "one request's time bound")
		mode      = flag.String("mode", load.ModeEcho, "echo, h2, ws or blob")
		interval  = flag.Duration("interval", 0, "each worker starts a request at most once per interval (0: no pause)")
		msgSize   = flag.Int("msg-size", 1024, "WebSocket message size in bytes (-mode ws)")
		values    = flag.String("blob-values", "", "file of the secret values the blob carries, one a line (-mode blob)")
		blobSize  = flag.Int("blob-size", 10_000_000, "size of the blob in bytes (-mode blob)")
		expect    = flag.String("expect", load.ExpectIntact, "what the blob's values must come as: intact, redacted or any (-mode blob)")
	)
	flag.Parse()
	cfg, err := config(*target, *proxy, *caFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		return 2
	}
	cfg.Mode, cfg.Interval, cfg.MsgSize = *mode, *interval, *msgSize
	if *mode == load.ModeBlob {
		if cfg.Blob, err = blobCheck(*values, *blobSize, *expect); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			return 2
		}
	}
	cfg.Header, cfg.Send, cfg.Want = *header, *send, *want
	cfg.Concurrency, cfg.KeepAlive, cfg.Timeout = *conc, *keepAlive, *timeout
	cfg.Warmup, cfg.Duration, cfg.MaxRequests = *warmup, *duration, *maxReq
	cfg.OnPhase = func(p string) { fmt.Println("phase", p) }
	// A hard bound on the whole run, whatever the flags say.
	ctx, cancel := context.WithTimeout(context.Background(), *warmup+*duration+2**timeout+10*time.Second)
	defer cancel()
	res, err := load.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		return 2
	}
	js, _ := json.Marshal(res)
	fmt.Printf("result %s\n", js)
	fmt.Fprintf(os.Stderr, "%d requests in %.2fs: %.0f req/s, p50 %.3f ms, p99 %.3f ms, %d errors (%d mismatches); %s; %d connections\n",
		res.Requests, res.Seconds, res.RPS, res.P50, res.P99, res.Errors, res.Mismatches, res.TLS, res.Conns)
	for _, s := range res.ErrorSamples {
		fmt.Fprintln(os.Stderr, "  error:", s)
	}
	if res.Errors > 0 {
		return 1
	}
	return 0
}

func config(target, proxy, caFile string) (load.Config, error) {
	var cfg load.Config
	if target == "" || caFile == "" {
		return cfg, fmt.Errorf("-url and -cacert are required")
	}
	cfg.URL = target
	if proxy != "" {
		u, err := url.Parse(proxy)
		if err != nil {
			return cfg, fmt.Errorf("-proxy: %w", err)
		}
		cfg.Proxy = u
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return cfg, err
	}
	cfg.RootCAs = x509.NewCertPool()
	if !cfg.RootCAs.AppendCertsFromPEM(pem) {
		return cfg, fmt.Errorf("-cacert %s: no PEM certificate", caFile)
	}
	return cfg, nil
}

// blobCheck makes the blob the upstream serves from the values in file and
// says what its bodies must be.
func blobCheck(file string, size int, expect string) (*load.BlobCheck, error) {
	switch expect {
	case load.ExpectIntact, load.ExpectRedacted, load.ExpectAny:
	default:
		return nil, fmt.Errorf("-expect %q: want intact, redacted or any", expect)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("-blob-values: %w", err)
	}
	blob, err := upstream.NewBlob(strings.Fields(string(b)), size)
	if err != nil {
		return nil, err
	}
	return blob.Check(expect), nil
}
