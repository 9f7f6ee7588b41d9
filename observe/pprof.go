package observe

import (
	"net/http"
	"net/http/pprof"
)

// MountPprof mounts net/http/pprof's handlers under /debug/pprof/ on mux,
// each wrapped by authed (the admin token). Nothing is registered on
// http.DefaultServeMux.
func MountPprof(mux interface{ Handle(string, http.Handler) }, authed func(http.Handler) http.Handler) {
	mux.Handle("GET /debug/pprof/", authed(http.HandlerFunc(pprof.Index)))
	mux.Handle("GET /debug/pprof/cmdline", authed(http.HandlerFunc(pprof.Cmdline)))
	mux.Handle("GET /debug/pprof/profile", authed(http.HandlerFunc(pprof.Profile)))
	mux.Handle("GET /debug/pprof/symbol", authed(http.HandlerFunc(pprof.Symbol)))
	mux.Handle("POST /debug/pprof/symbol", authed(http.HandlerFunc(pprof.Symbol)))
	mux.Handle("GET /debug/pprof/trace", authed(http.HandlerFunc(pprof.Trace)))
}
