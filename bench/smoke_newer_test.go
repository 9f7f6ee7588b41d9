package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/systems"
	"github.com/sandgate/sandgate/bench/internal/upstream"
)

// TestSmokeNewerShapes drives the clients of the h2, ws, scrub and fair
// shapes through the real binary as bench/compare sets them up (the bench's
// handlers in sandboxes of their own), a few requests each, and checks
// every answer. It asserts correctness only, never timing.
func TestSmokeNewerShapes(t *testing.T) {
	values := []string{"smoke-scrub-aaaaaaaaaaaa", "smoke-scrub-bbbbbbbbbbbb", "smoke-scrub-cccccccccccc"}
	blob, err := upstream.NewBlob(values, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := upstream.NewCA("smoke upstream CA")
	if err != nil {
		t.Fatal(err)
	}
	h1 := startWith(t, ca, upstream.Options{Header: systems.Header, Want: secret, Blob: blob})
	h2 := startWith(t, ca, upstream.Options{Header: systems.Header, H2: true})
	dir := t.TempDir()
	caFile := filepath.Join(dir, "upstream-ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := systems.StartSandgate(systems.SandgateOptions{Bin: binary, Dir: dir, ScriptsFrom: filepath.Join(repoRoot, "scripts"),
		UpstreamCA: caFile, Secret: secret, Secrets: map[string]map[string]string{"sandboxes/scrub": {"a": values[0], "b": values[1], "c": values[2]}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	main := sandbox(t, g, "bench", systems.InjectHeader)
	scrubbed := sandbox(t, g, "scrub", systems.ReadSecrets("a", "b", "c"))
	plain := sandbox(t, g, "plain", systems.SetHeader("not-a-secret"))
	wsURL := "wss" + strings.TrimPrefix(h1.Origin(), "https") + "/ws"

	for _, tc := range []struct {
		name string
		sys  *systems.System
		cfg  load.Config
		n    int
	}{
		{"h2, 8 streams on one connection", main, load.Config{Mode: load.ModeH2, URL: h2.URL, Concurrency: 8}, 100},
		{"WebSocket echo", main, load.Config{Mode: load.ModeWS, URL: wsURL, Concurrency: 4, MsgSize: 1024}, 100},
		{"blob, a handler reading no secret", plain, load.Config{Mode: load.ModeBlob, URL: h1.Origin() + "/blob", Concurrency: 2,
			Blob: blob.Check(load.ExpectIntact)}, 4},
		{"blob, a handler reading three secrets", scrubbed, load.Config{Mode: load.ModeBlob, URL: h1.Origin() + "/blob", Concurrency: 2,
			Blob: blob.Check(load.ExpectAny)}, 4},
		{"paced keep-alive", main, load.Config{URL: h1.URL, Concurrency: 4, KeepAlive: true, Interval: time.Millisecond}, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Proxy, cfg.RootCAs, cfg.Header, cfg.Want = tc.sys.Proxy, pool(t, tc.sys.CAFile), systems.Header, secret
			cfg.MaxRequests, cfg.Duration, cfg.Timeout = tc.n, time.Minute, 10*time.Second
			res, err := load.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != tc.n || res.OK != tc.n || res.Errors != 0 {
				t.Fatalf("got %d requests, %d ok, %d errors: %v; want %d ok", res.Requests, res.OK, res.Errors, res.ErrorSamples, tc.n)
			}
			if cfg.Mode == load.ModeH2 && (res.Conns != 1 || res.Proto != "h2" || res.UpstreamProto != "HTTP/2.0") {
				t.Errorf("h2: got %d connections, protocol %q, upstream %q; want 1, h2, HTTP/2.0", res.Conns, res.Proto, res.UpstreamProto)
			}
			if cfg.Mode == load.ModeBlob && res.Bytes < int64(tc.n)*900_000 {
				t.Errorf("blob: got %d bytes for %d bodies", res.Bytes, tc.n)
			}
		})
	}
}

func startWith(t *testing.T, ca *upstream.CA, o upstream.Options) *upstream.Server {
	t.Helper()
	srv, err := upstream.StartWith(ca, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func sandbox(t *testing.T, g *systems.Sandgate, id string, b systems.Binding) *systems.System {
	t.Helper()
	s, err := g.Sandbox("sandgate-file", "sandgate (file secrets)", id, b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSmokeCatchesUnscrubbedValue proves the scrub shape's check is real:
// the body sent directly, values and all, fails on every response where
// every value must come redacted and passes where they must come intact;
// the same body served as a scrubber would send it does the opposite.
func TestSmokeCatchesUnscrubbedValue(t *testing.T) {
	blob, err := upstream.NewBlob([]string{"smoke-value-000000", "smoke-value-111111", "smoke-value-222222"}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := upstream.NewCA("smoke upstream CA")
	if err != nil {
		t.Fatal(err)
	}
	asSent := startWith(t, ca, upstream.Options{Header: systems.Header, Blob: blob})
	scrubbed := startWith(t, ca, upstream.Options{Header: systems.Header,
		Blob: &upstream.Blob{Body: blob.Redacted, Values: []string{load.Redaction}}})
	for _, tc := range []struct {
		name     string
		srv      *upstream.Server
		expect   string
		ok       int
		redacted int
	}{
		{"as sent, redacted wanted", asSent, load.ExpectRedacted, 0, 0},
		{"as sent, intact wanted", asSent, load.ExpectIntact, 3, 0},
		{"scrubbed, redacted wanted", scrubbed, load.ExpectRedacted, 3, 3},
		{"scrubbed, intact wanted", scrubbed, load.ExpectIntact, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := load.Run(context.Background(), load.Config{Mode: load.ModeBlob, URL: tc.srv.Origin() + "/blob", RootCAs: ca.Pool(),
				Blob: blob.Check(tc.expect), Concurrency: 1, KeepAlive: true, MaxRequests: 3, Duration: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != 3 || res.OK != tc.ok || res.Redacted != tc.redacted {
				t.Errorf("got %d of %d ok, %d redacted (%v), want %d ok, %d redacted", res.OK, res.Requests, res.Redacted,
					res.ErrorSamples, tc.ok, tc.redacted)
			}
			for _, s := range res.ErrorSamples {
				if strings.Contains(s, "smoke-value") {
					t.Errorf("an error shows a secret value: %s", s)
				}
			}
		})
	}
}
