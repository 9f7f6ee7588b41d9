package integration

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandgate/sandgate/state/etcd/etcdtest"
)

// fleetSetup is three gateways (A, B, C) sharing one etcd and one seal key,
// and a TLS upstream.
type fleetSetup struct {
	etcd  *etcdtest.Server
	gws   []*gateway
	gcs   []gatewayConfig
	e     *echo
	tlsUp string
	host  string // the upstream's host:port
}

// fleetExtra is the state block of a fleet gateway reaching etcd at endpoint.
func fleetExtra(endpoint, prefix, keyFile string) string {
	return fmt.Sprintf(`state:
  backend: etcd
  node_id: %s
  etcd: { endpoints: [%q], prefix: %s, dial_timeout: 1s }
  seal: { key_file: %s }`, "NODE", endpoint, prefix, keyFile)
}

func newFleet(t *testing.T, n int) *fleetSetup {
	t.Helper()
	srv := etcdtest.Start(t)
	ca := newUpstreamCA(t)
	e := &echo{}
	up := ca.startTLS(t, e)
	key := filepath.Join(t.TempDir(), "seal.key")
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	if err := os.WriteFile(key, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	f := &fleetSetup{etcd: srv, e: e, tlsUp: up.URL, host: strings.TrimPrefix(up.URL, "https://")}
	for i := range n {
		extra := strings.Replace(fleetExtra(srv.Endpoint, "/fleet/", key), "NODE", string(rune('A'+i)), 1)
		gc := gatewayConfig{Classes: basicClasses, CAFiles: []string{ca.PEMFile}, Extra: extra, Dir: t.TempDir()}
		f.gcs = append(f.gcs, gc)
		f.gws = append(f.gws, startGateway(t, gc))
	}
	return f
}

// waitFor polls cond every 10ms until it holds or 10s pass, and returns how
// long it took. The deadline is generous on purpose: the time is logged,
// not asserted.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 10*time.Second {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10s", what)
	return 0
}

func (g *gateway) has(id string) bool {
	code, _ := g.api("GET", "/v1/sandboxes/"+id, nil)
	return code == 200
}

func TestFleetCreateOnAServedByBAndC(t *testing.T) {
	f := newFleet(t, 3)
	a, b, c := f.gws[0], f.gws[1], f.gws[2]
	sb := a.createSandbox(map[string]any{"id": "shared"})
	for _, g := range []*gateway{b, c} {
		took := waitFor(t, "sandbox on another gateway", func() bool { return g.has("shared") })
		t.Logf("created on A, seen on %s after %v", g.Admin, took)
		if pem := g.mustAPI(200, "GET", "/v1/sandboxes/shared/ca.pem", nil); string(pem) != sb.CAPEM {
			t.Fatal("another gateway serves another CA")
		}
		r := curl(t, "-x", "http://"+g.Proxy, "--proxy-user", sb.ID+":"+sb.Token, "--cacert", sb.caFile, f.tlsUp+"/via")
		if r.Status != 200 {
			t.Fatalf("through another gateway: got exit %d status %d (%s), want 200", r.Exit, r.Status, r.Stderr)
		}
	}
	var st struct {
		Node  string `json:"node"`
		State struct {
			Backend  string `json:"backend"`
			Healthy  bool   `json:"healthy"`
			Revision int64  `json:"revision"`
		} `json:"state"`
	}
	if err := json.Unmarshal(b.mustAPI(200, "GET", "/v1/status", nil), &st); err != nil {
		t.Fatal(err)
	}
	if st.Node != "B" || st.State.Backend != "etcd" || !st.State.Healthy || st.State.Revision == 0 {
		t.Errorf("status: got %+v, want node B, etcd, healthy, a revision", st)
	}
}
