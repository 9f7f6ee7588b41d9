package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/observe"
	"github.com/sandgate/sandgate/secrets/vault"
	"github.com/sandgate/sandgate/state"
)

// stateParts are the opened state store and seal.
type stateParts struct {
	store state.Store
	seal  state.Sealer
	close func()
}

// openState opens state.backend and the seal. memory keeps nothing, so it
// needs no key file; the others refuse to make a new key for a store that
// already holds keys sealed by another.
func openState(ctx context.Context, cfg *config.Config, log *slog.Logger, m *observe.Metrics) (*stateParts, error) {
	st := cfg.State
	var store state.Store
	switch st.Backend {
	case "memory":
		return &stateParts{store: state.NewMemory(), seal: state.NewEphemeralSeal(), close: func() {}}, nil
	case "bolt":
		o := state.BoltOptions{}
		if m != nil {
			o.OnError = m.StateError
		}
		b, err := state.OpenBolt(st.Path, o)
		if err != nil {
			return nil, err
		}
		store = b
	case "etcd":
		e, err := openEtcd(cfg, log, m)
		if err != nil {
			return nil, err
		}
		store = e
	default:
		return nil, fmt.Errorf("state.backend: %q is not supported by this build", st.Backend)
	}
	seal, sealClose, err := openSeal(ctx, cfg, store, log)
	if err != nil {
		store.Close()
		return nil, err
	}
	return &stateParts{store: store, seal: seal, close: func() { sealClose(); store.Close() }}, nil
}

// openSeal opens state.seal: Vault's transit engine, or the key file
// (created when missing, unless the store holds sandboxes already).
func openSeal(ctx context.Context, cfg *config.Config, store state.Store, log *slog.Logger) (state.Sealer, func(), error) {
	if t := cfg.State.Seal.VaultTransit; t != nil {
		vc := vaultConfig(cfg, log)
		vc.NoKV = true
		v, err := vault.New(ctx, vc)
		if err != nil {
			return nil, nil, fmt.Errorf("state.seal.vault_transit: %w", err)
		}
		return state.NewTransitSeal(v.Transit(t.Mount, t.Key)), func() { _ = v.Close() }, nil
	}
	path := cfg.State.Seal.KeyFile
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		recs, err := store.Load(ctx)
		if err != nil {
			return nil, nil, err
		}
		if len(recs) > 0 {
			return nil, nil, fmt.Errorf("state.seal.key_file %s does not exist, but %s holds %d sandboxes sealed by a key: "+
				"restore the key file (a new key could not open them)", path, store.Describe(), len(recs))
		}
		log.Info("creating a new seal key", "file", path)
	}
	s, err := state.OpenKeyFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("state.seal.key_file: %w", err)
	}
	return s, func() {}, nil
}

// nodeName is state.node_id, else the host name.
func nodeName(cfg *config.Config) string {
	if cfg.State.NodeID != "" {
		return cfg.State.NodeID
	}
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}
