package engine

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
)

// A secret kept between calls, in a chunk-level local or a global of the
// script's environment, is redacted from a later call's error and log
// lines: the state remembers every value it handed out.
func TestHeldSecretRedactedOnLaterCall(t *testing.T) {
	const token = "ghp_secret123"
	for _, tc := range []struct{ name, keep, use string }{
		{"chunk local", "kept = secrets.get('sandboxes/sb1', 'github_token')", "kept"},
		{"global", "_G.stash = secrets.get('sandboxes/sb1', 'github_token')", "stash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": `local kept
local calls = 0
return function(req, ctx)
  calls = calls + 1
  if calls == 1 then
    ` + tc.keep + `
    return response{status = 200}
  end
  log.warn("call " .. calls .. " still has " .. ` + tc.use + `, {held = ` + tc.use + `})
  error("call " .. calls .. " leaks " .. ` + tc.use + `)
end`})
			if _, err := env.run(t, "h", "https://api.example.com/"); err != nil {
				t.Fatalf("call 1: %v", err)
			}
			_, err := env.run(t, "h", "https://api.example.com/")
			if err == nil || !strings.Contains(err.Error(), "call 2 leaks [redacted]") {
				t.Fatalf("call 2: got %v, want an error of call 2 (same state) with the value redacted", redactedForTest(err, token))
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error holds the secret (%d bytes)", len(token))
			}
			logs := env.logs.String()
			if strings.Contains(logs, token) || !strings.Contains(logs, "call 2 still has [redacted]") {
				t.Errorf("log: secret present %v, redacted line present %v; want false, true",
					strings.Contains(logs, token), strings.Contains(logs, "call 2 still has [redacted]"))
			}
		})
	}
}

// redactedForTest keeps a failure message free of the secret.
func redactedForTest(err error, secret string) string {
	if err == nil {
		return "<nil>"
	}
	return strings.ReplaceAll(err.Error(), secret, "<secret>")
}

// A state that has been handed more distinct values than the limit is
// discarded after its call rather than reused.
func TestStateRetiredPastHeldLimit(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  secrets.get("sandboxes/sb1")
  return response{status = 200}
end`})
	env.cfg.maxHeld = 2 // the secret has three fields
	for i := 0; i < 3; i++ {
		if _, err := env.run(t, "h", "https://api.example.com/"); err != nil {
			t.Fatal(err)
		}
	}
	if got := env.pool.created.Load(); got != 3 {
		t.Errorf("states made: got %d, want 3 (none reused)", got)
	}
	env.cfg.maxHeld = defaultMaxHeld
	for i := 0; i < 3; i++ {
		if _, err := env.run(t, "h", "https://api.example.com/"); err != nil {
			t.Fatal(err)
		}
	}
	if got := env.pool.created.Load(); got != 4 {
		t.Errorf("states made: got %d, want 4 (one more, then reused)", got)
	}
}

// BenchmarkSecretCall compares the two ways to keep a secret a state was
// handed out of later log lines: held (the state redacts every value it
// ever handed out, and is reused) and fresh (a state that read a secret is
// discarded after the call).
func BenchmarkSecretCall(b *testing.B) {
	src, err := os.ReadFile("../scripts/github_auth.lua")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		maxHeld int
	}{{"held", defaultMaxHeld}, {"fresh", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			e, err := New(Options{
				Dir: b.TempDir(), Transport: cannedTransport{},
				Secrets: &fakeStore{data: map[string]map[string]string{"sandboxes/sb1": {"github_token": "ghp_0123456789abcdef"}}},
				Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			e.cfg.maxHeld = tc.maxHeld
			if err := e.Put("github_auth", src); err != nil {
				b.Fatal(err)
			}
			req, _ := http.NewRequest("GET", "https://api.github.com/user", nil)
			call := &Call{Handler: "github_auth", Request: req, SandboxID: "sb1", Class: "default", RequestID: "r1"}
			snap, ctx := e.Snapshot(), context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := snap.Run(ctx, call); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
