package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/systems"
	"github.com/sandgate/sandgate/bench/internal/upstream"
)

// env is what setUp started.
type env struct {
	upstream *upstream.Server
	h2       *upstream.Server // offering HTTP/2 too; nil unless an h2 shape runs
	vault    *systems.Vault
	systems  []*systems.System
	// gateway is sandgate-file's process, sandboxes the other sandboxes on
	// it that the scrub and fair shapes load, by variant.
	gateway   *systems.Sandgate
	sandboxes map[string]*systems.System
	stopped   bool
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
	if e.h2 != nil {
		e.h2.Close()
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
	if err := b.startUpstreams(e, ca); err != nil {
		return e, err
	}
	for _, key := range b.only {
		s, err := b.start(e, key, caFile)
		if err != nil {
			return e, fmt.Errorf("starting %s: %w", key, err)
		}
		e.systems = append(e.systems, s)
	}
	if e.gateway != nil && needsSandboxes(b.shapes) {
		if err := b.sideSandboxes(e); err != nil {
			return e, err
		}
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
			UpstreamCA: caFile, Secret: secret, Host: b.host, Secrets: b.sideSecrets()})
		if err != nil {
			return nil, err
		}
		e.gateway = g
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

// preflight sends a few requests through every leg of every shape (and
// the flooding sandbox) and fails if any is not set up right, before the
// long rounds start. A scrubbed body in it turns the scrub shape's check on.
func (b *bench) preflight(ctx context.Context, e *env) error {
	for _, shape := range b.shapes {
		legs := b.legs(e, shape)
		if shape == shapeFair && e.sandboxes[variantFlood] != nil {
			legs = append(legs, leg{sys: e.sandboxes[variantFlood], variant: variantFlood + " sandbox", mode: load.ModeEcho,
				url: b.target.URL, keepAlive: true})
		}
		for _, l := range legs {
			if l.flood != nil {
				continue // the same load as without the flood
			}
			if err := b.check(ctx, l, shape); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) check(ctx context.Context, l leg, shape string) error {
	bd := bounds{duration: 30 * time.Second, n: 20, conc: 2}
	if l.mode == load.ModeBlob {
		// The set-up is right if each body comes whole, scrubbed or not: a
		// value that comes through shows in the rounds, not here.
		bd.n = 4
		if l.variant == variantSecrets {
			l.expect = load.ExpectAny
		}
	}
	r := b.measure(ctx, l, bd, Round{System: l.sys.Key, Variant: l.variant})
	res := r.Load
	if r.Failure != "" || res.Errors > 0 || res.WarmupErrors > 0 || res.OK == 0 {
		return fmt.Errorf("preflight of %s, %s: %d of %d requests failed: %s %v", shape, r.Key(),
			res.Errors, res.Requests, r.Failure, res.ErrorSamples)
	}
	if l.variant == variantSecrets && res.Redacted > 0 {
		b.scrubOn = true
	}
	if l.mode == load.ModeBlob && res.Redacted > 0 && res.Intact > 0 {
		fmt.Fprintf(os.Stderr, "preflight %-9s %-23s: %d responses came scrubbed and %d not\n", shape, r.Key(), res.Redacted, res.Intact)
	}
	fmt.Fprintf(os.Stderr, "preflight %-9s %-23s ok: %s; %s%s\n", shape, r.Key(), res.TLS, res.Proto, preflightExtras(res))
	return nil
}

func preflightExtras(res load.Result) string {
	switch {
	case res.UpstreamProto != "":
		return fmt.Sprintf(", upstream %s, %d connection(s)", res.UpstreamProto, res.Conns)
	case res.Redacted > 0:
		return ", values redacted"
	case res.Intact > 0:
		return ", values intact"
	}
	return ""
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
