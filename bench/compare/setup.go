package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/systems"
	"github.com/sandgate/sandgate/bench/internal/upstream"
)

// env is what setUp started.
type env struct {
	upstream *upstream.Server
	vault    *systems.Vault
	systems  []*systems.System
	stopped  bool
}

func (e *env) stop() {
	if e == nil || e.stopped {
		return
	}
	e.stopped = true
	for _, s := range e.systems {
		s.Stop()
	}
	if e.vault != nil {
		e.vault.Stop()
	}
	if e.upstream != nil {
		e.upstream.Close()
	}
}

// setUp starts the upstream and the chosen systems, in round order.
func (b *bench) setUp() (*env, error) {
	e := &env{}
	ca, err := upstream.NewCA("sandgate bench upstream CA")
	if err != nil {
		return e, err
	}
	caFile := filepath.Join(b.work, "upstream-ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		return e, err
	}
	if e.upstream, err = upstream.Start(ca, systems.Header); err != nil {
		return e, err
	}
	b.target = target{URL: strings.Replace(e.upstream.URL, "127.0.0.1", b.host, 1), Secret: "bench-" + randHex(16), AuxPID: map[string]int{}}
	for _, key := range b.only {
		s, err := b.start(e, key, caFile)
		if err != nil {
			return e, fmt.Errorf("starting %s: %w", key, err)
		}
		e.systems = append(e.systems, s)
	}
	return e, nil
}

func (b *bench) start(e *env, key, caFile string) (*systems.System, error) {
	dir, err := os.MkdirTemp(b.work, key+"-")
	if err != nil {
		return nil, err
	}
	secret := b.target.Secret
	switch key {
	case "direct":
		return systems.Direct(caFile, secret), nil
	case "sandgate-file":
		g, err := systems.StartSandgate(systems.SandgateOptions{Bin: b.sandgateBin, Dir: dir, ScriptsFrom: b.scripts,
			UpstreamCA: caFile, Secret: secret, Host: b.host})
		if err != nil {
			return nil, err
		}
		return g.System(key, "sandgate (file secrets)")
	case "sandgate-vault":
		if e.vault, err = systems.StartVault(b.vaultBin, dir); err != nil {
			return nil, err
		}
		b.target.AuxPID[key] = e.vault.PID()
		g, err := systems.StartSandgate(systems.SandgateOptions{Bin: b.sandgateBin, Dir: dir, ScriptsFrom: b.scripts,
			UpstreamCA: caFile, Secret: secret, Vault: e.vault, Host: b.host})
		if err != nil {
			return nil, err
		}
		return g.System(key, "sandgate (Vault secrets)")
	case "mitmproxy":
		return systems.StartMitmproxy(dir, caFile, secret)
	case systems.SquidStare.Key:
		return systems.StartSquid(dir, caFile, secret, systems.SquidStare)
	case systems.SquidBump.Key:
		return systems.StartSquid(dir, caFile, secret, systems.SquidBump)
	}
	return nil, fmt.Errorf("unknown system %q", key)
}

// preflight sends a few requests through every system in both shapes and
// fails if any is not set up right, before the long rounds start.
func (b *bench) preflight(ctx context.Context, list []*systems.System) error {
	for _, s := range list {
		for _, keepAlive := range []bool{true, false} {
			cfg, err := b.loadConfig(s)
			if err != nil {
				return err
			}
			cfg.KeepAlive, cfg.MaxRequests, cfg.Concurrency, cfg.Duration = keepAlive, 20, 2, 20*time.Second
			res, err := load.Run(ctx, cfg)
			if err != nil {
				return err
			}
			if res.Errors > 0 || res.WarmupErrors > 0 || res.OK == 0 {
				return fmt.Errorf("preflight of %s (keep-alive %v): %d of %d requests failed: %v", s.Key, keepAlive,
					res.Errors, res.Requests, res.ErrorSamples)
			}
			fmt.Fprintf(os.Stderr, "preflight %-15s keep-alive=%-5v ok: %s\n", s.Key, keepAlive, res.TLS)
		}
	}
	return nil
}

func (b *bench) loadConfig(s *systems.System) (load.Config, error) {
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return load.Config{}, err
	}
	ca, err := upstreamPool(pem)
	if err != nil {
		return load.Config{}, fmt.Errorf("%s: %w", s.Key, err)
	}
	return load.Config{URL: b.target.URL, Proxy: s.Proxy, RootCAs: ca, Header: systems.Header, Send: s.Send,
		Want: b.target.Secret, Timeout: 10 * time.Second}, nil
}

func (b *bench) versions(e *env) map[string]string {
	v := map[string]string{"go": goVersion(), "openssl": versionOf("openssl", "version")}
	for _, s := range e.systems {
		if s.Version != "-" {
			v[s.Key] = s.Version
		}
	}
	if e.vault != nil {
		v["vault"] = e.vault.Version
	}
	return v
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
