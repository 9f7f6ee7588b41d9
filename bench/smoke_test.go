package bench

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/proc"
	"github.com/sandgate/sandgate/bench/internal/systems"
	"github.com/sandgate/sandgate/bench/internal/upstream"
	"github.com/sandgate/sandgate/integration/testbin"
)

// binary is the sandgate binary under test: $SANDGATE_BIN, or one built
// from this checkout.
var binary string

// repoRoot is the checkout this package lives in.
var repoRoot = testbin.RepoRoot

func TestMain(m *testing.M) { testbin.Main(m.Run, &binary) }

// TestSmoke drives the load generator through the real binary (file
// secrets, the shipped inject_header handler) in both shapes, a few hundred
// requests, and checks that every response carried the injected header.
// It asserts correctness only, never timing.
func TestSmoke(t *testing.T) {
	sys, pid, url := startBench(t)
	for _, tc := range []struct {
		name      string
		keepAlive bool
		n         int
	}{
		{name: "keep-alive", keepAlive: true, n: 300},
		{name: "new connection per request", keepAlive: false, n: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpu0 := proc.CPU(pid)
			res, err := load.Run(context.Background(), load.Config{
				URL: url, Proxy: sys.Proxy, RootCAs: pool(t, sys.CAFile), Header: systems.Header, Want: secret,
				Concurrency: 4, KeepAlive: tc.keepAlive, Warmup: 0, MaxRequests: tc.n, Duration: time.Minute,
				Timeout: 10 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != tc.n || res.OK != tc.n || res.Errors != 0 || res.Mismatches != 0 {
				t.Fatalf("got %d requests, %d ok, %d errors (%d without the header): %v; want %d ok",
					res.Requests, res.OK, res.Errors, res.Mismatches, res.ErrorSamples, tc.n)
			}
			if proc.CPU(pid) <= cpu0 || proc.Mem(pid).RSS == 0 {
				t.Errorf("reading /proc of the gateway: CPU %v -> %v, RSS %d", cpu0, proc.CPU(pid), proc.Mem(pid).RSS)
			}
		})
	}
}

// TestSmokeCatchesMissingHeader proves the check is real: the same load
// sent directly, without the header, fails on every response.
func TestSmokeCatchesMissingHeader(t *testing.T) {
	ca, srv := startUpstream(t)
	res, err := load.Run(context.Background(), load.Config{
		URL: srv.URL, RootCAs: ca.Pool(), Header: systems.Header, Want: secret, Send: "forged",
		Concurrency: 2, KeepAlive: true, MaxRequests: 20, Duration: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 20 || res.Mismatches != 20 || res.OK != 0 {
		t.Fatalf("got %d requests, %d mismatches, %d ok; want 20 mismatches", res.Requests, res.Mismatches, res.OK)
	}
}

const secret = "smoke-secret-0123456789"

// startBench starts the upstream and a gateway set up as the comparison
// sets it up, and returns the system, the gateway's pid and the target.
func startBench(t *testing.T) (*systems.System, int, string) {
	t.Helper()
	ca, srv := startUpstream(t)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "upstream-ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := systems.StartSandgate(systems.SandgateOptions{Bin: binary, Dir: dir,
		ScriptsFrom: filepath.Join(repoRoot, "scripts"), UpstreamCA: caFile, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	sys, err := g.System("sandgate-file", "sandgate (file secrets)")
	if err != nil {
		t.Fatal(err)
	}
	return sys, g.PID(), srv.URL
}

func startUpstream(t *testing.T) (*upstream.CA, *upstream.Server) {
	t.Helper()
	ca, err := upstream.NewCA("smoke upstream CA")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := upstream.Start(ca, systems.Header)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return ca, srv
}

func pool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", file)
	}
	return p
}
