package engine

import (
	"context"
	"testing"
)

func TestAcceptEncodingNarrowed(t *testing.T) {
	const (
		readThenFetch = `return function(req, ctx)
  req:set_header("X-Auth", secrets.get("sandboxes/sb1", "github_token"))
  local res = fetch(req)
  if req:header("accept-encoding") ~= ctx.params.sent then error("req was changed") end
  return res
end`
		protectThenSide = `return function(req, ctx)
  secrets.protect("minted-token-1")
  return fetch{url = "https://auth.example.com/x", headers = {["Accept-Encoding"] = "br"}}
end`
		fetchThenRead = `return function(req, ctx)
  local res = fetch(req)
  secrets.get("sandboxes/sb1", "github_token")
  return res
end`
		plain = `return function(req, ctx) return fetch(req) end`
	)
	for _, tc := range []struct {
		name, script, sent, want string
	}{
		{"gzip offered", readThenFetch, "gzip, deflate, br", "gzip"},
		{"gzip with weight", readThenFetch, "br;q=1.0, gzip;q=0.5", "gzip"},
		{"x-gzip", readThenFetch, "x-gzip", "gzip"},
		{"star", readThenFetch, "*", "gzip"},
		{"gzip refused", readThenFetch, "gzip;q=0, br", "identity"},
		{"star but gzip refused", readThenFetch, "*, gzip;q=0", "identity"},
		{"br only", readThenFetch, "br", "identity"},
		{"nothing offered", readThenFetch, "", "identity"},
		{"protected, side request", protectThenSide, "gzip", "gzip"},
		{"protected, side request, no gzip", protectThenSide, "zstd", "identity"},
		{"secret read after the fetch", fetchThenRead, "br", "br"},
		{"no secret", plain, "br, zstd", "br, zstd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, map[string]string{"h": tc.script})
			call := newCall("h", "GET", "https://api.example.com/")
			if tc.sent != "" {
				call.Request.Header.Set("Accept-Encoding", tc.sent)
			}
			call.Params = map[string]any{"sent": tc.sent}
			if tc.sent == "" {
				call.Params = map[string]any{}
			}
			if _, err := env.Snapshot().Run(context.Background(), call); err != nil {
				t.Fatal(err)
			}
			if got := env.transport.last(t).Header.Get("Accept-Encoding"); got != tc.want {
				t.Errorf("upstream got Accept-Encoding %q, want %q", got, tc.want)
			}
			if got := call.Request.Header.Get("Accept-Encoding"); got != tc.sent {
				t.Errorf("the sandbox's request now has %q, want %q unchanged", got, tc.sent)
			}
		})
	}
}
