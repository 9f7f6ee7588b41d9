package main

import (
	"maps"
	"net/http"
	"sync"

	"github.com/sandgate/sandgate/bench/internal/systems"
	"github.com/sandgate/sandgate/bench/internal/upstream"
)

// versionHeader is the header the soak's two script versions set, so the
// upstream can show that both versions served requests.
const versionHeader = "X-Script-Version"

// echoHandler is the upstream's answer: the injected header's values, which
// the load generator checks on every response.
func echoHandler() http.Handler { return upstream.Echo(systems.Header) }

// versionCounter counts the requests the upstream received by the value
// of versionHeader ("" when absent).
type versionCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func newVersionCounter() *versionCounter { return &versionCounter{counts: map[string]int{}} }

func (v *versionCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		v.counts[r.Header.Get(versionHeader)]++
		v.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// snapshot returns a copy of the counts so far.
func (v *versionCounter) snapshot() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return maps.Clone(v.counts)
}
