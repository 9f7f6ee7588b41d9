package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sandgate/sandgate/sandbox"
	"github.com/sandgate/sandgate/state"
	"github.com/sandgate/sandgate/state/etcd"
	"github.com/sandgate/sandgate/state/etcd/etcdtest"
)

// RestoreRun is one restore-at-start measurement of a real gateway.
type RestoreRun struct {
	Backend string        `json:"backend"`
	Count   int           `json:"count"`
	Load    time.Duration `json:"load_ns"`  // the gateway's own "state loaded" time
	Ready   time.Duration `json:"ready_ns"` // process start to serving
	RSSMB   float64       `json:"rss_mb"`
	Fill    time.Duration `json:"fill_ns"` // storing the sandboxes first (not a target)
}

// measureRestore stores n sandboxes, then starts a gateway on them.
func measureRestore(dir, bin, backend string, n int) (RestoreRun, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return RestoreRun{}, err
	}
	reg := sandbox.NewRegistry(classes)
	var stateYAML string
	switch backend {
	case "bolt":
		st, err := state.OpenBolt(filepath.Join(dir, "state", "sandgate.db"), state.BoltOptions{})
		if err != nil {
			return RestoreRun{}, err
		}
		defer st.Close()
		reg.Store = st
		stateYAML = "state: { backend: bolt }"
	case "etcd":
		srv, err := etcdtest.New(filepath.Join(dir, "etcd"))
		if err != nil {
			return RestoreRun{}, err
		}
		defer srv.Close()
		st, err := etcd.Open(etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/bench/", DialTimeout: 5 * time.Second})
		if err != nil {
			return RestoreRun{}, err
		}
		defer st.Close()
		reg.Store = st
		stateYAML = fmt.Sprintf("state: { backend: etcd, etcd: { endpoints: [%q], prefix: /bench/ } }", srv.Endpoint)
	}
	seal, err := state.OpenKeyFile(filepath.Join(dir, "state", "seal.key"))
	if err != nil {
		return RestoreRun{}, err
	}
	reg.Seal = seal
	start := time.Now()
	if _, _, err := createMany(reg, "r", 32, n); err != nil {
		return RestoreRun{}, err
	}
	fill := time.Since(start)
	if backend == "bolt" {
		reg.Store.Close() // the gateway needs the file's lock
	}
	g, err := startGateway(bin, dir, stateYAML)
	if err != nil {
		return RestoreRun{}, err
	}
	defer g.stop()
	_, body, err := g.api(context.Background(), "GET", "/v1/status", nil)
	if err != nil {
		return RestoreRun{}, err
	}
	if want := fmt.Sprintf(`"sandboxes": %d`, n); !contains(string(body), want) {
		return RestoreRun{}, fmt.Errorf("%s: the gateway did not restore %d sandboxes: %s", backend, n, body)
	}
	return RestoreRun{Backend: backend, Count: n, Load: g.loaded, Ready: g.ready, RSSMB: g.rssMB(), Fill: fill}, nil
}
