package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sandgate/sandgate/admin"
	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/observe"
	"github.com/sandgate/sandgate/sandbox"
	"github.com/sandgate/sandgate/state"
	"github.com/sandgate/sandgate/state/etcd"
)

// openEtcd connects to state.etcd with its TLS and auth settings.
func openEtcd(cfg *config.Config, log *slog.Logger, m *observe.Metrics) (*etcd.Store, error) {
	e := cfg.State.Etcd
	o := etcd.Options{Endpoints: e.Endpoints, Prefix: e.Prefix, DialTimeout: e.DialTimeout.Duration,
		Username: e.Username, Logger: log}
	if m != nil {
		o.OnResync, o.OnError = m.StateResync, m.StateError
	}
	if e.PasswordFile != "" {
		b, err := os.ReadFile(e.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("state.etcd.password_file: %w", err)
		}
		o.Password = strings.TrimRight(string(b), "\r\n")
	}
	if e.CAFile != "" || e.CertFile != "" {
		tc, err := etcdTLS(e)
		if err != nil {
			return nil, err
		}
		o.TLS = tc
	}
	return etcd.Open(o)
}

func etcdTLS(e config.Etcd) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return nil, fmt.Errorf("state.etcd.ca_file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("state.etcd.ca_file %s: no PEM certificate in it", e.CAFile)
		}
	}
	if e.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(e.CertFile, e.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("state.etcd.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// fleet follows the shared store: other gateways' sandbox changes go to the
// registry, script sets to the engine.
type fleet struct {
	cfg     *config.Config
	log     *slog.Logger
	reg     *sandbox.Registry
	eng     *engine.Engine
	scripts state.ScriptStore
	metrics *observe.Metrics
}

// seedScripts makes the engine run the fleet's script set: the stored one,
// or, when etcd has none, this gateway's scripts_dir, stored for all.
func (f *fleet) seedScripts(ctx context.Context) error {
	mine := f.eng.Sources()
	var set map[string][]byte
	err := f.scripts.UpdateScripts(ctx, func(cur map[string][]byte) (map[string][]byte, error) {
		if cur != nil {
			set = cur
			return nil, errKeep
		}
		set = mine
		return mine, nil
	})
	if err != nil && !errors.Is(err, errKeep) {
		return err
	}
	if err == nil {
		f.log.Info("seeded the fleet's scripts from scripts_dir", "scripts", len(set))
	}
	f.swap(set, "start")
	return nil
}

// errKeep ends an UpdateScripts without writing.
var errKeep = errors.New("keep the stored set")

// swap compiles a script set from the store and swaps it in, or logs why
// not and keeps the current one.
func (f *fleet) swap(set map[string][]byte, why string) {
	if set == nil {
		return
	}
	swapped, err := f.eng.Swap(set, bindings(f.cfg, f.reg))
	switch {
	case err != nil:
		f.log.Error("the fleet's script set does not load here; keeping the current one", "when", why, "err", err.Error())
	case swapped:
		f.log.Info("scripts swapped to the fleet's set", "when", why, "scripts", len(set), "sha256", f.eng.Snapshot().Hash())
	}
}

// follow applies the store's events until ctx ends.
func (f *fleet) follow(ctx context.Context, w state.Watcher) {
	w.Watch(ctx, func(ev state.Event) {
		defer func() {
			if r := recover(); r != nil {
				f.log.Error("applying a state change panicked", "panic", fmt.Sprint(r))
			}
		}()
		switch ev.Kind {
		case state.ScriptsChanged:
			f.swap(ev.Scripts, "watch")
		case state.Resync:
			f.reg.Apply(ctx, ev)
			f.swap(ev.Scripts, "resync")
		default:
			if ev.Kind == state.SandboxPut && f.metrics != nil && !ev.Sandbox.Updated.IsZero() {
				f.metrics.StateWatchLag(time.Since(ev.Sandbox.Updated))
			}
			f.reg.Apply(ctx, ev)
		}
	})
}

// bindings lists every binding in use, with its params: the classes'
// and every sandbox's runtime ones.
func bindings(cfg *config.Config, reg *sandbox.Registry) []engine.Binding {
	return admin.Bindings(classBindings(cfg), reg)
}
