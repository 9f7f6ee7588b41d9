package engine

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTimeLimit(t *testing.T) {
	limit := func(o *Options) { o.HandlerTimeout = 100 * time.Millisecond }
	t.Run("infinite loop", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx) while true do end end`}, limit)
		start := time.Now()
		_, err := env.run(t, "h", "http://x/")
		took := time.Since(start)
		var he *HandlerError
		if !errors.As(err, &he) || !he.Timeout || !strings.Contains(err.Error(), "exceeded time limit 100ms") {
			t.Fatalf("got %v, want a time-limit HandlerError", err)
		}
		if took > time.Second {
			t.Errorf("stopped after %v, want near 100ms", took)
		}
	})
	t.Run("loop inside pcall", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  while true do pcall(function() while true do end end) end
end`}, limit)
		_, err := env.run(t, "h", "http://x/")
		if err == nil || !strings.Contains(err.Error(), "exceeded time limit") {
			t.Fatalf("got %v, want a time-limit HandlerError", err)
		}
	})
	t.Run("pcall cannot swallow the limit", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  pcall(function() while true do end end)
  return deny()
end`}, limit)
		_, err := env.run(t, "h", "http://x/")
		if err == nil || !strings.Contains(err.Error(), "exceeded time limit") {
			t.Fatalf("got %v, want a time-limit HandlerError", err)
		}
	})
	t.Run("pattern matching", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  return response{body = tostring(string.find(string.rep("a", 30000), ".-.-.-.-b"))}
end`}, limit)
		start := time.Now()
		_, err := env.run(t, "h", "http://x/")
		if err == nil || time.Since(start) > 2*time.Second {
			t.Fatalf("got %v after %v, want a HandlerError near the limit", err, time.Since(start))
		}
	})
	t.Run("slow fetch does not count", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  local res = fetch(req)
  local x = 0
  for i = 1, 1000 do x = x + i end
  return res
end`}, func(o *Options) { o.HandlerTimeout = 250 * time.Millisecond })
		env.transport.fn = func(*http.Request) (*http.Response, error) {
			time.Sleep(400 * time.Millisecond)
			return textResponse(200, "slow"), nil
		}
		res, err := env.run(t, "h", "http://x/")
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := body(t, res); got != "slow" {
			t.Errorf("got %q, want slow", got)
		}
	})
	t.Run("slow secrets do not count", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  return response{body = secrets.get("sandboxes/sb1", "github_token")}
end`}, limit)
		env.store.delay = 200 * time.Millisecond
		if _, err := env.run(t, "h", "http://x/"); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
	t.Run("caller gone", func(t *testing.T) {
		env := newEnv(t, map[string]string{"h": `return function(req, ctx) while true do end end`},
			func(o *Options) { o.HandlerTimeout = 10 * time.Second })
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := env.Snapshot().Run(ctx, newCall("h", "GET", "http://x/"))
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Errorf("got %v after %v, want the caller's deadline", err, time.Since(start))
		}
	})
}

// TestBombs runs scripts that try to exhaust memory: each must fail as a
// HandlerError, the process must survive, and the state must be discarded.
func TestBombs(t *testing.T) {
	bombs := []struct{ name, src string }{
		{"string.rep", `local s = string.rep("x", 5e8)`},
		{"string.rep with separator", `local s = string.rep("x", 1e7, string.rep("y", 100))`},
		{"doubling concat", `local s = "x" for i = 1, 40 do s = s .. s end`},
		{"table.concat", `local t = {} local s = string.rep("x", 1e6) for i = 1, 40 do t[i] = s end local r = table.concat(t)`},
		{"gsub growth", `local s = string.rep("x", 1e6) s = s:gsub("x", "xxxxxxxxxxxxxxxxxxxxxxxxxx")`},
		{"string.format", `local s = string.format("%s%s", string.rep("x", 1e7), string.rep("x", 1e7))`},
		{"registry overflow", `local t = {string.byte(string.rep("a", 1e6), 1, -1)}`},
		{"unpack", `local t = {} for i = 1, 1e6 do t[i] = i end local a = {unpack(t)}`},
		{"deep recursion", `local function f(n) return f(n + 1) + 1 end f(1)`},
		{"recursion through pcall", `local function f() pcall(f) f() end f()`},
		{"loadstring concat", `local s = string.rep("x", 1e7) local f = loadstring("local s = ... return s .. s") f(s)`},
		{"json.encode", `local s = string.rep("x", 1e7) local j = json.encode({s, s})`},
	}
	for _, tc := range bombs {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": "return function(req, ctx)\n" + tc.src + "\nreturn deny()\nend"},
				func(o *Options) { o.MaxStringBytes = 16 << 20; o.HandlerTimeout = time.Second })
			res, err := env.run(t, "h", "http://x/")
			var he *HandlerError
			if !errors.As(err, &he) {
				t.Fatalf("got %+v, %v; want a HandlerError", res, err)
			}
			t.Logf("%.160s", err)
			if got := env.pool.discarded.Load(); got != 1 {
				t.Errorf("discarded %d states, want 1", got)
			}
			// The engine still works, on a fresh state.
			env.Put("ok", []byte(`return function() return deny("fine") end`))
			res, err = env.run(t, "ok", "http://x/")
			if err != nil || res.Reason != "fine" {
				t.Errorf("after the bomb: got %+v, %v", res, err)
			}
		})
	}
}

func TestFailedStateIsNotReused(t *testing.T) {
	env := newEnv(t, map[string]string{
		"bad":  `return function() error("x") end`,
		"good": `return function() return deny() end`,
	})
	env.run(t, "good", "http://x/")
	v := <-env.pool.idle
	env.pool.idle <- v
	env.run(t, "bad", "http://x/")
	select {
	case got := <-env.pool.idle:
		if got == v {
			t.Error("the state of a failed call went back to the pool")
		}
	default:
	}
	if env.pool.discarded.Load() != 1 {
		t.Errorf("discarded %d, want 1", env.pool.discarded.Load())
	}
}
