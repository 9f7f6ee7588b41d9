package integration

import (
	"fmt"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
)

// iptables adds a nat OUTPUT rule for the test and removes it at cleanup.
func iptables(t *testing.T, rule ...string) {
	t.Helper()
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Fatal("the transparent-mode test needs iptables (and root): run `apt-get install -y iptables` (make test does)")
	}
	add := append([]string{"-t", "nat", "-A", "OUTPUT"}, rule...)
	if out, err := exec.Command("iptables", add...).CombinedOutput(); err != nil {
		t.Fatalf("iptables %v: %v: %s", add, err, out)
	}
	t.Cleanup(func() {
		del := append([]string{"-t", "nat", "-D", "OUTPUT"}, rule...)
		_ = exec.Command("iptables", del...).Run()
	})
}

// Connections to 127.0.0.2 on the upstreams' ports are redirected by the
// firewall to the transparent listener, as a host would do for a sandbox.
func TestTransparentMode(t *testing.T) {
	ca := newUpstreamCA(t)
	e := &echo{}
	tlsUp := ca.startTLS(t, e)
	plainUp := httptest.NewServer(e)
	t.Cleanup(plainUp.Close)
	g := startGateway(t, gatewayConfig{Classes: basicClasses, CAFiles: []string{ca.PEMFile},
		ProxyExtra: "  transparent_listen: 127.0.0.1:0\n"})
	if g.Transparent == "" {
		t.Fatal("the gateway did not report its transparent listener")
	}
	tport := g.Transparent[strings.LastIndexByte(g.Transparent, ':')+1:]
	tlsPort := tlsUp.URL[strings.LastIndexByte(tlsUp.URL, ':')+1:]
	plainPort := plainUp.URL[strings.LastIndexByte(plainUp.URL, ':')+1:]
	for _, p := range []string{tlsPort, plainPort} {
		iptables(t, "-p", "tcp", "-d", "127.0.0.2", "--dport", p, "-j", "REDIRECT", "--to-ports", tport)
	}
	sb := g.createSandbox(map[string]any{"id": "tp", "source_ip": "127.0.0.1"})

	resolve := func(host, port string) []string {
		return []string{"--resolve", fmt.Sprintf("%s:%s:127.0.0.2", host, port), "--cacert", sb.caFile}
	}
	r := curl(t, append(resolve("localhost", tlsPort), "https://localhost:"+tlsPort+"/tls")...)
	if r.Status != 200 || e.last(t).Path != "/tls" || !e.last(t).TLS {
		t.Fatalf("https: got %d (exit %d, %s) %s, want 200 through TLS", r.Status, r.Exit, r.Stderr, r.Body)
	}
	r = curl(t, append(resolve("localhost", plainPort), "http://localhost:"+plainPort+"/plain")...)
	if r.Status != 200 || e.last(t).Path != "/plain" {
		t.Fatalf("http: got %d (%s) %s, want 200", r.Status, r.Stderr, r.Body)
	}
	r = curl(t, append(resolve("blocked.example", tlsPort), "https://blocked.example:"+tlsPort+"/no")...)
	if r.Status != 403 || parseDeny(t, r.Body).Reason != "denied_hosts" {
		t.Fatalf("denied host: got %d %s, want 403 denied_hosts", r.Status, r.Body)
	}
	// A source no sandbox was created with is refused.
	r = curl(t, append(resolve("localhost", tlsPort), "--interface", "127.0.0.3", "https://localhost:"+tlsPort+"/unknown")...)
	if r.Exit == 0 {
		t.Fatalf("unknown source: got status %d, want the connection refused", r.Status)
	}
	for _, s := range e.all() {
		if s.Path == "/no" || s.Path == "/unknown" {
			t.Errorf("upstream got %s", s.Path)
		}
	}
}
