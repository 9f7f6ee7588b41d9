package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
	"github.com/sandgate/sandgate/state"
)

func callH(t *testing.T, srv *httptest.Server, method, path, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func TestETagAndIfMatch(t *testing.T) {
	srv := newTestAPI(t)
	callH(t, srv, "POST", "/v1/sandboxes", `{"id":"a"}`, nil)
	got := callH(t, srv, "GET", "/v1/sandboxes/a", "", nil)
	tag := got.Header.Get("ETag")
	if tag == "" || !strings.HasPrefix(tag, `"`) {
		t.Fatalf("GET: got ETag %q, want a quoted tag", tag)
	}
	put := callH(t, srv, "PUT", "/v1/sandboxes/a/denied-hosts", `["x.example"]`, map[string]string{"If-Match": tag})
	if put.StatusCode != 200 {
		t.Fatalf("PUT with the current ETag: got %d, want 200", put.StatusCode)
	}
	newTag := put.Header.Get("ETag")
	if newTag == "" || newTag == tag {
		t.Fatalf("PUT answer: got ETag %q, want a new one (old %q)", newTag, tag)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"PUT", "/v1/sandboxes/a/allowed-hosts", `["y.example"]`},
		{"PUT", "/v1/sandboxes/a/outbound", `{"handler":"deny_all"}`},
		{"DELETE", "/v1/sandboxes/a/outbound", ``},
		{"DELETE", "/v1/sandboxes/a", ``},
	} {
		if res := callH(t, srv, tc.method, tc.path, tc.body, map[string]string{"If-Match": tag}); res.StatusCode != 412 {
			t.Errorf("%s %s with a stale If-Match: got %d, want 412", tc.method, tc.path, res.StatusCode)
		}
	}
	if res := callH(t, srv, "PUT", "/v1/sandboxes/a/allowed-hosts", `["y.example"]`, map[string]string{"If-Match": "*"}); res.StatusCode != 200 {
		t.Errorf("If-Match: * got %d, want 200", res.StatusCode)
	}
	cur := callH(t, srv, "GET", "/v1/sandboxes/a", "", nil).Header.Get("ETag")
	if res := callH(t, srv, "DELETE", "/v1/sandboxes/a", "", map[string]string{"If-Match": cur}); res.StatusCode != 204 {
		t.Errorf("DELETE with the current ETag: got %d, want 204", res.StatusCode)
	}
}

// down is a store that cannot be reached.
type down struct{ state.Store }

var errDown = state.Unavailable(errors.New("etcd: context deadline exceeded"))

func (down) Create(context.Context, *state.Sandbox) (*state.Sandbox, error) { return nil, errDown }
func (down) Update(context.Context, string, func(*state.Sandbox) error) (*state.Sandbox, error) {
	return nil, errDown
}
func (down) Delete(context.Context, string, func(*state.Sandbox) error) error { return errDown }

func TestStoreDownIs503(t *testing.T) {
	reg := sandbox.NewRegistry(map[string]*policy.Class{"default": {Name: "default", Intercept: true}})
	if _, _, err := reg.CreateContext(context.Background(), sandbox.CreateRequest{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	reg.Store = down{reg.Store}
	srv := httptest.NewServer(New(Options{Token: "tok", Registry: reg, Scripts: &fakeScripts{src: map[string]string{}}}))
	defer srv.Close()
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/sandboxes", `{"id":"b"}`},
		{"PUT", "/v1/sandboxes/a/denied-hosts", `["x.example"]`},
		{"DELETE", "/v1/sandboxes/a", ``},
	} {
		code, body := call(t, srv, "tok", tc.method, tc.path, tc.body)
		if code != 503 || !strings.Contains(body, `"state store unavailable: `) {
			t.Errorf("%s %s: got %d %s, want 503 state store unavailable", tc.method, tc.path, code, body)
		}
	}
}
