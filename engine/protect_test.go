package engine

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sandgate/sandgate/ratelimit"
)

func TestResultSecretsAndProtect(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  local tok = secrets.get("sandboxes/sb1", "github_token")
  local other = secrets.protect("exchanged-" .. "token-42")
  if other ~= "exchanged-token-42" then error("protect changed its value") end
  return response{status = 200, body = "ok"}
end`})
	res, err := env.run(t, "h", "https://api.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ghp_secret123", "exchanged-token-42"}
	if !slices.Equal(res.Secrets, want) {
		t.Errorf("Secrets: got %q, want %q", res.Secrets, want)
	}
}

func TestProtectedValueRedactedFromErrors(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  local t = secrets.protect("minted-abcdef")
  error("token was " .. t)
end`})
	_, err := env.run(t, "h", "https://api.example.com/")
	if err == nil || strings.Contains(err.Error(), "minted-abcdef") || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("got %v, want the protected value redacted", err)
	}
}

func TestRatelimitTake(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  local got = {}
  for i = 1, 3 do got[i] = tostring(ratelimit.take("k", 0.001, 2)) end
  return response{status = 200, body = table.concat(got, ",")}
end`})
	call := newCall("h", "GET", "https://api.example.com/")
	call.RateLimit = &ratelimit.Buckets{}
	res, err := env.Snapshot().Run(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if got := body(t, res); got != "true,true,false" {
		t.Errorf("got %q, want true,true,false", got)
	}
}

func TestRatelimitTakeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
		limiter         RateLimiter
	}{
		{"no limiter", `ratelimit.take("k", 1, 1)`, "no rate limiter", nil},
		{"bad burst", `ratelimit.take("k", 1, 0)`, "burst must be 1 or more", &ratelimit.Buckets{}},
		{"key cap", `ratelimit.take("a", 1, 1) ratelimit.take("b", 1, 1)`, "too many keys", &ratelimit.Buckets{MaxKeys: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": "return function(req, ctx)\n" + tc.src + "\nreturn deny()\nend"})
			call := newCall("h", "GET", "https://api.example.com/")
			if tc.limiter != nil {
				call.RateLimit = tc.limiter
			}
			_, err := env.Snapshot().Run(context.Background(), call)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
