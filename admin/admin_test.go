package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sandgate/sandgate/admin/client"
	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
)

// fakeScripts is a script registry in memory.
type fakeScripts struct{ src map[string]string }

func (f *fakeScripts) Names() []string {
	var out []string
	for n := range f.src {
		out = append(out, n)
	}
	return out
}
func (f *fakeScripts) Source(n string) ([]byte, bool)        { s, ok := f.src[n]; return []byte(s), ok }
func (f *fakeScripts) SHA256(n string) (string, bool)        { _, ok := f.src[n]; return "sha-" + n, ok }
func (f *fakeScripts) Has(n string) bool                     { _, ok := f.src[n]; return ok }
func (f *fakeScripts) Params(n string) (engine.Params, bool) { _, ok := f.src[n]; return nil, ok }
func (f *fakeScripts) CheckParams(string, any) error         { return nil }
func (f *fakeScripts) Put(n string, s []byte, _ []engine.Binding) error {
	f.src[n] = string(s)
	return nil
}
func (f *fakeScripts) Delete(n string) error         { delete(f.src, n); return nil }
func (f *fakeScripts) Reload([]engine.Binding) error { return nil }

func newTestAPI(t *testing.T) *httptest.Server {
	t.Helper()
	reg := sandbox.NewRegistry(map[string]*policy.Class{
		"default": {Name: "default", Intercept: true, DenyStatus: 403},
		"plain":   {Name: "plain", Intercept: false, DenyStatus: 403},
	})
	api := New(Options{Token: "tok", Registry: reg, ProxyAddr: "127.0.0.1:3128",
		Scripts: &fakeScripts{src: map[string]string{"deny_all": "x", "free": "y"}}})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, token, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestStatusCodes(t *testing.T) {
	srv := newTestAPI(t)
	if code, _ := call(t, srv, "tok", "POST", "/v1/sandboxes", `{"id":"sb1"}`); code != 201 {
		t.Fatalf("create: got %d, want 201", code)
	}
	for _, tc := range []struct {
		name, token, method, path, body string
		want                            int
		contains                        string
	}{
		{"healthz needs no token", "", "GET", "/healthz", "", 200, "ok"},
		{"no token", "", "GET", "/v1/status", "", 401, "admin token"},
		{"wrong token", "nope", "GET", "/v1/sandboxes", "", 401, "admin token"},
		{"status", "tok", "GET", "/v1/status", "", 200, `"sandboxes": 1`},
		{"duplicate id", "tok", "POST", "/v1/sandboxes", `{"id":"sb1"}`, 409, "exists"},
		{"unknown class", "tok", "POST", "/v1/sandboxes", `{"class":"gold"}`, 422, "unknown class"},
		{"bad json", "tok", "POST", "/v1/sandboxes", `{"id":`, 400, "bad JSON"},
		{"empty body means defaults", "tok", "POST", "/v1/sandboxes", ``, 201, `"class": "default"`},
		{"unknown field", "tok", "POST", "/v1/sandboxes", `{"idd":"x"}`, 400, "idd"},
		{"wrong field type", "tok", "POST", "/v1/sandboxes", `{"labels":[1]}`, 400, "labels"},
		{"bad id", "tok", "POST", "/v1/sandboxes", `{"id":"-x"}`, 400, "id"},
		{"bad source ip", "tok", "POST", "/v1/sandboxes", `{"source_ip":"nope"}`, 400, "source_ip"},
		{"unknown sandbox", "tok", "GET", "/v1/sandboxes/nope", "", 404, "unknown sandbox"},
		{"unknown handler", "tok", "PUT", "/v1/sandboxes/sb1/outbound", `{"handler":"nope"}`, 422, "unknown handler"},
		{"handler required", "tok", "PUT", "/v1/sandboxes/sb1/outbound", `{}`, 400, "handler"},
		{"params must be an object", "tok", "PUT", "/v1/sandboxes/sb1/outbound", `{"handler":"free","params":[1]}`, 400, "params"},
		{"set outbound", "tok", "PUT", "/v1/sandboxes/sb1/outbound", `{"handler":"free","params":{"a":1}}`, 200, `"source": "runtime"`},
		{"bad pattern", "tok", "PUT", "/v1/sandboxes/sb1/outbound-by-host/bad%20host", `{"handler":"free"}`, 400, "hostpat"},
		{"cidr pattern", "tok", "PUT", "/v1/sandboxes/sb1/outbound-by-host/10.0.0.0%2F8", `{"handler":"deny_all"}`, 200, "10.0.0.0/8"},
		{"bound script", "tok", "DELETE", "/v1/scripts/deny_all", "", 409, "still bound"},
		{"clear missing binding", "tok", "DELETE", "/v1/sandboxes/sb1/outbound-by-host/x.com", "", 404, "no binding"},
		{"allowed hosts", "tok", "PUT", "/v1/sandboxes/sb1/allowed-hosts", `["a.com","*.b.com"]`, 200, `"allowed_hosts_source": "runtime"`},
		{"allowed hosts null", "tok", "PUT", "/v1/sandboxes/sb1/allowed-hosts", `null`, 200, `"allowed_hosts": null`},
		{"denied hosts bad", "tok", "PUT", "/v1/sandboxes/sb1/denied-hosts", `["a b"]`, 400, "hostpat"},
		{"denied hosts not a list", "tok", "PUT", "/v1/sandboxes/sb1/denied-hosts", `{"a":1}`, 400, "list"},
		{"unknown script", "tok", "GET", "/v1/scripts/nope", "", 404, "unknown script"},
		{"script source", "tok", "GET", "/v1/scripts/free", "", 200, "y"},
		{"flush", "tok", "POST", "/v1/secrets/flush", "", 200, "flushed"},
		{"unknown route", "tok", "GET", "/v1/nothing", "", 404, "no route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(t, srv, tc.token, tc.method, tc.path, tc.body)
			if code != tc.want || !strings.Contains(body, tc.contains) {
				t.Errorf("got %d %s, want %d containing %q", code, body, tc.want, tc.contains)
			}
			if code >= 400 && tc.method != "GET" || code == 401 {
				var e map[string]any
				if err := json.Unmarshal([]byte(body), &e); err != nil || e["error"] == nil {
					t.Errorf("error body is not {\"error\":...}: %s", body)
				}
			}
		})
	}
}

func TestPortBindingOnNonInterceptingClassIs422(t *testing.T) {
	srv := newTestAPI(t)
	call(t, srv, "tok", "POST", "/v1/sandboxes", `{"id":"p","class":"plain"}`)
	code, body := call(t, srv, "tok", "PUT", "/v1/sandboxes/p/outbound-by-host/api.example.com:443", `{"handler":"free"}`)
	if code != 422 || !strings.Contains(body, "never run") {
		t.Fatalf("got %d %s, want 422", code, body)
	}
	if code, _ := call(t, srv, "tok", "PUT", "/v1/sandboxes/p/outbound-by-host/api.example.com", `{"handler":"free"}`); code != 200 {
		t.Fatalf("portless pattern: got %d, want 200 (binds plain HTTP)", code)
	}
}

func TestCreateAnswersEnvAndToken(t *testing.T) {
	srv := newTestAPI(t)
	code, body := call(t, srv, "tok", "POST", "/v1/sandboxes", `{"labels":{"team":"a"}}`)
	if code != 201 {
		t.Fatalf("got %d", code)
	}
	var got client.Created
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Token == "" || !strings.HasPrefix(got.CAPEM, "-----BEGIN CERTIFICATE-----") || got.Class != "default" {
		t.Fatalf("bad create answer: %+v", got)
	}
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "NPM_CONFIG_CAFILE", "PIP_CERT"} {
		if got.Env[k] == "" {
			t.Errorf("env lacks %s", k)
		}
	}
	if !strings.Contains(got.ProxyURL, got.ID+":"+got.Token+"@127.0.0.1:3128") {
		t.Errorf("got proxy_url %q", got.ProxyURL)
	}
	_, list := call(t, srv, "tok", "GET", "/v1/sandboxes", "")
	if strings.Contains(list, got.Token) {
		t.Error("the list shows a token")
	}
	if got.Env["NPM_CONFIG_CAFILE"] != "/etc/sandgate/ca-bundle.pem" || got.Env["PIP_CERT"] != "/etc/sandgate/ca-bundle.pem" {
		t.Errorf("npm and pip point at %q and %q, want the bundle beside ca.pem", got.Env["NPM_CONFIG_CAFILE"], got.Env["PIP_CERT"])
	}
	code, bundle := call(t, srv, "tok", "GET", "/v1/sandboxes/"+got.ID+"/ca-bundle.pem", "")
	if code != 200 || !strings.HasSuffix(bundle, got.CAPEM) || strings.Count(bundle, "BEGIN CERTIFICATE") < 2 {
		t.Errorf("ca-bundle.pem: got %d with %d certificates, want the system roots and the sandbox CA last", code, strings.Count(bundle, "BEGIN CERTIFICATE"))
	}
}
