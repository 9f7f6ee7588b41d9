// Package admin is sandgate's admin API: sandboxes,
// their runtime policy, scripts and the secrets cache, behind a bearer
// token, on its own listener.
package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/sandbox"
)

// Scripts is the script registry as the admin API uses it.
type Scripts interface {
	Names() []string
	Source(name string) ([]byte, bool)
	SHA256(name string) (string, bool)
	Has(name string) bool
	// Params returns the params a script declares (nil: any params).
	Params(name string) (engine.Params, bool)
	// CheckParams says what is wrong with a binding's params for handler.
	CheckParams(handler string, params any) error
	// Put and Reload refuse (*engine.BindingError) a script whose declared
	// params one of bound breaks.
	Put(name string, src []byte, bound []engine.Binding) error
	Delete(name string) error
	Reload(bound []engine.Binding) error
}

// Options configures the admin API.
type Options struct {
	Token    string
	Registry *sandbox.Registry
	Scripts  Scripts
	// Flush empties the secrets cache. If nil, the route answers 200 and
	// does nothing (no cache configured).
	Flush func()
	// ProxyAddr is the host:port sandboxes use to reach the proxy.
	ProxyAddr string
	// CAPath is where a sandbox is expected to store ca.pem; env points there.
	CAPath string
	// ClassBindings are the config's bindings, with their params: shown by
	// /v1/scripts and checked when a script is replaced.
	ClassBindings []engine.Binding
	// Status adds fields to GET /v1/status (version, secrets backend, ...).
	Status func() map[string]any
	// Extra mounts more routes (metrics, events, pprof); authed says which
	// need the admin token. What it mounts is listed by Routes too.
	Extra  func(mux Mux, authed func(http.Handler) http.Handler)
	Logger *slog.Logger
	// OnReload is called after every reload attempt with its outcome.
	OnReload func(ok bool)
}

// Mux is where routes are mounted: an *http.ServeMux, or the admin API's
// own, which also remembers each pattern for Routes.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// API is the admin HTTP handler.
type API struct {
	opts      Options
	tokenHash [32]byte
	started   time.Time
	// mu serializes changes that must see scripts and bindings together:
	// binding a handler, deleting a script, reloading.
	mu     sync.Mutex
	mux    *http.ServeMux
	routes []string
	log    *slog.Logger
}

// New builds the handler.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.CAPath == "" {
		opts.CAPath = "/etc/sandgate/ca.pem"
	}
	a := &API{opts: opts, tokenHash: sha256.Sum256([]byte(opts.Token)), started: time.Now(), log: opts.Logger}
	a.mount()
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Routes returns the pattern of every route the API serves, in the order
// they were mounted, as net/http.ServeMux reads them ("GET
// /v1/sandboxes/{id}"), those of Options.Extra included. The /v1/ fallback
// that answers 404 for any other path is not a route.
func (a *API) Routes() []string { return slices.Clone(a.routes) }

// recorder mounts routes on the API's mux and remembers their patterns.
type recorder struct{ a *API }

func (r recorder) Handle(pattern string, h http.Handler) {
	r.a.mux.Handle(pattern, h)
	r.a.routes = append(r.a.routes, pattern)
}

func (a *API) mount() {
	a.mux = http.NewServeMux()
	m := recorder{a}
	auth := a.authed
	m.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}))
	m.Handle("GET /v1/status", auth(http.HandlerFunc(a.status)))
	m.Handle("POST /v1/sandboxes", auth(http.HandlerFunc(a.createSandbox)))
	m.Handle("GET /v1/sandboxes", auth(http.HandlerFunc(a.listSandboxes)))
	m.Handle("GET /v1/sandboxes/{id}", auth(http.HandlerFunc(a.showSandbox)))
	m.Handle("DELETE /v1/sandboxes/{id}", auth(http.HandlerFunc(a.deleteSandbox)))
	m.Handle("GET /v1/sandboxes/{id}/ca.pem", auth(http.HandlerFunc(a.caPEM)))
	m.Handle("GET /v1/sandboxes/{id}/ca-bundle.pem", auth(http.HandlerFunc(a.caBundle)))
	m.Handle("PUT /v1/sandboxes/{id}/outbound", auth(http.HandlerFunc(a.setOutbound)))
	m.Handle("DELETE /v1/sandboxes/{id}/outbound", auth(http.HandlerFunc(a.clearOutbound)))
	m.Handle("PUT /v1/sandboxes/{id}/outbound-by-host/{pattern}", auth(http.HandlerFunc(a.setByHost)))
	m.Handle("DELETE /v1/sandboxes/{id}/outbound-by-host/{pattern}", auth(http.HandlerFunc(a.clearByHost)))
	m.Handle("PUT /v1/sandboxes/{id}/allowed-hosts", auth(http.HandlerFunc(a.setAllowed)))
	m.Handle("PUT /v1/sandboxes/{id}/denied-hosts", auth(http.HandlerFunc(a.setDenied)))
	m.Handle("PUT /v1/sandboxes/{id}/tcp-hosts", auth(http.HandlerFunc(a.setTCPHosts)))
	m.Handle("PUT /v1/sandboxes/{id}/rate-limit", auth(http.HandlerFunc(a.setRateLimit)))
	m.Handle("GET /v1/scripts", auth(http.HandlerFunc(a.listScripts)))
	m.Handle("POST /v1/scripts/reload", auth(http.HandlerFunc(a.reloadScripts)))
	m.Handle("GET /v1/scripts/{name}", auth(http.HandlerFunc(a.getScript)))
	m.Handle("PUT /v1/scripts/{name}", auth(http.HandlerFunc(a.putScript)))
	m.Handle("DELETE /v1/scripts/{name}", auth(http.HandlerFunc(a.deleteScript)))
	m.Handle("POST /v1/secrets/flush", auth(http.HandlerFunc(a.flushSecrets)))
	if a.opts.Extra != nil {
		a.opts.Extra(m, auth)
	}
	a.mux.Handle("/v1/", auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no route "+r.Method+" "+r.URL.Path)
	})))
}

// authed requires "Authorization: Bearer <admin token>".
func (a *API) authed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !strings.EqualFold(scheme, "bearer") || subtle.ConstantTimeCompare(sum[:], a.tokenHash[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sandgate"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong admin token (Authorization: Bearer <token>)")
			return
		}
		h.ServeHTTP(w, r)
	})
}
