package integration

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestUpstreamFailuresAreNotDenies(t *testing.T) {
	ca := newUpstreamCA(t)
	slow := ca.startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(8 * time.Second): // past response_header_timeout (5s)
		case <-r.Context().Done():
		}
	}))
	untrusted := newUpstreamCA(t).startTLS(t, &echo{}) // signed by a CA the gateway does not trust
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close()
	g := startGateway(t, gatewayConfig{Classes: basicClasses, CAFiles: []string{ca.PEMFile}})
	sb := g.createSandbox(map[string]any{"id": "up"})
	for _, tc := range []struct {
		name, url string
		status    int
		reason    string
	}{
		{"connection refused", "https://" + closedAddr + "/", 502, "upstream_error"},
		{"untrusted certificate", untrusted.URL + "/", 502, "upstream_error"},
		{"no response headers in time", slow.URL + "/", 504, "upstream_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := curl(t, append(viaProxy(g, sb), tc.url)...)
			if r.Status != tc.status {
				t.Fatalf("got %d (%s) %s, want %d", r.Status, r.Stderr, r.Body, tc.status)
			}
			if got, want := r.Header("Sandgate-Decision"), "error; reason="+tc.reason; got != want {
				t.Errorf("got Sandgate-Decision %q, want %q", got, want)
			}
			if strings.Contains(r.Body, "x509") || strings.Contains(r.Body, "dial tcp") {
				t.Errorf("internal error text reached the sandbox: %s", r.Body)
			}
		})
	}
}
