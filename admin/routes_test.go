package admin

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
)

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// Routes is what the mux serves: a request made from each pattern reaches
// that very pattern, routes mounted by Extra are listed too, and the /v1/
// fallback is not.
func TestRoutesAreTheMuxPatterns(t *testing.T) {
	reg := sandbox.NewRegistry(map[string]*policy.Class{"default": {Name: "default", Intercept: true, DenyStatus: 403}})
	api := New(Options{Token: "tok", Registry: reg, Scripts: &fakeScripts{src: map[string]string{}},
		Extra: func(mux Mux, authed func(http.Handler) http.Handler) {
			mux.Handle("GET /extra/{x}", authed(http.NotFoundHandler()))
		}})
	routes := api.Routes()
	if !slices.Contains(routes, "GET /extra/{x}") {
		t.Errorf("Routes lacks the route Extra mounted: %q", routes)
	}
	if !slices.Contains(routes, "GET /healthz") || !slices.Contains(routes, "PUT /v1/sandboxes/{id}/outbound-by-host/{pattern}") {
		t.Errorf("Routes lacks the API's own routes: %q", routes)
	}
	seen := map[string]bool{}
	for _, pattern := range routes {
		if seen[pattern] {
			t.Errorf("Routes lists %q twice", pattern)
		}
		seen[pattern] = true
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			t.Errorf("route %q has no method", pattern)
			continue
		}
		req := httptest.NewRequest(method, wildcard.ReplaceAllString(path, "probe"), nil)
		if _, got := api.mux.Handler(req); got != pattern {
			t.Errorf("a request for %s %s reaches %q, want %q", method, req.URL.Path, got, pattern)
		}
	}
	if slices.ContainsFunc(routes, func(p string) bool { return p == "/v1/" }) {
		t.Error("Routes lists the /v1/ fallback")
	}
}
