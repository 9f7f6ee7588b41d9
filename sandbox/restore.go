package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sandgate/sandgate/ca"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/state"
)

// LoadStats says what Load found.
type LoadStats struct {
	Restored int
	// Skipped are records whose class is not in the config: logged, left
	// in the store, not served.
	Skipped []string
}

// Load restores every stored sandbox: token hash, CA (its key unsealed),
// runtime policy. A record the seal cannot open, or that is damaged,
// stops the load with an error naming the store and the seal: a gateway
// must not start with some of its sandboxes silently missing. A record of
// a class the config does not have is logged and skipped, but stays
// stored, so a config that brings the class back brings it back.
func (r *Registry) Load(ctx context.Context) (LoadStats, error) {
	recs, err := r.Store.Load(ctx)
	if err != nil {
		return LoadStats{}, fmt.Errorf("sandbox: loading %s: %w", r.Store.Describe(), err)
	}
	var (
		mu    sync.Mutex
		stats LoadStats
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, rec := range recs {
		g.Go(func() error {
			sb, err := r.apply(gctx, rec)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if sb == nil {
				stats.Skipped = append(stats.Skipped, rec.ID)
			} else {
				stats.Restored++
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return stats, r.loadError(err)
	}
	return stats, nil
}

// SealError is a stored CA key the seal cannot open.
type SealError struct {
	ID  string
	Err error
}

func (e *SealError) Error() string {
	return fmt.Sprintf("sandbox %s: opening its sealed CA key: %v", e.ID, e.Err)
}
func (e *SealError) Unwrap() error { return e.Err }

func (r *Registry) loadError(err error) error {
	var se *SealError
	if errors.As(err, &se) {
		return fmt.Errorf("sandbox: %s cannot be opened with %s: %w", r.Store.Describe(), r.Seal.Describe(), err)
	}
	return fmt.Errorf("sandbox: restoring from %s: %w", r.Store.Describe(), err)
}

// apply brings memory in line with a stored record: a new sandbox is
// restored, a known one gets the record's overrides if they are newer.
// It returns nil, nil for a record of an unknown class.
func (r *Registry) apply(ctx context.Context, rec *state.Sandbox) (*Sandbox, error) {
	class, ok := r.classes[rec.Class]
	if !ok {
		r.log().Warn("stored sandbox skipped: its class is not in the config (the record is kept)",
			"sandbox", rec.ID, "class", rec.Class)
		return nil, nil
	}
	if sb, ok := r.Get(rec.ID); ok && sb.gen == generation(rec.CACert) {
		if rec.Version > sb.cur.Load().version {
			o, err := compileOverrides(rec.Overrides)
			if err != nil {
				return nil, fmt.Errorf("sandbox %s: stored overrides: %w", rec.ID, err)
			}
			sb.setOverrides(o, rec.Version)
		}
		return sb, nil
	}
	sb, err := r.restore(ctx, rec, class)
	if err != nil {
		return nil, err
	}
	return r.install(sb), nil
}

// restore rebuilds a sandbox from its record.
func (r *Registry) restore(ctx context.Context, rec *state.Sandbox, class *policy.Class) (*Sandbox, error) {
	o, err := compileOverrides(rec.Overrides)
	if err != nil {
		return nil, fmt.Errorf("sandbox %s: stored overrides: %w", rec.ID, err)
	}
	sb := newSandbox(rec.ID, class, r.MaxRatelimitKeys)
	sb.reg = r
	sb.Created, sb.Labels, sb.gen = rec.Created, rec.Labels, generation(rec.CACert)
	if len(rec.TokenHash) != len(sb.tokenHash) {
		return nil, fmt.Errorf("sandbox %s: stored token hash has %d bytes", rec.ID, len(rec.TokenHash))
	}
	copy(sb.tokenHash[:], rec.TokenHash)
	if rec.SourceIP != "" {
		if sb.SourceIP, err = netip.ParseAddr(rec.SourceIP); err != nil {
			return nil, fmt.Errorf("sandbox %s: stored source_ip: %w", rec.ID, err)
		}
	}
	key, err := r.Seal.Open(ctx, rec.CAKey, rec.SealAAD())
	if err != nil {
		return nil, &SealError{ID: rec.ID, Err: err}
	}
	defer clear(key)
	if sb.CA, err = r.restoreCA(rec.ID, rec.CACert, key); err != nil {
		return nil, fmt.Errorf("sandbox %s: %w", rec.ID, err)
	}
	sb.cur.Store(&current{o: o, version: rec.Version})
	sb.resetLimiter()
	return sb, nil
}

func (r *Registry) restoreCA(id string, cert, key []byte) (*ca.Authority, error) {
	if r.RestoreCA != nil {
		return r.RestoreCA(id, cert, key)
	}
	return ca.RestoreLazy(ca.Options{}, cert, key)
}

// Apply follows a change another gateway made (state.Watcher): creations
// and changes are applied, deletions close the sandbox's connections, a
// Resync replaces everything. Script events are not the registry's and
// are ignored. A record that cannot be applied is logged and skipped.
func (r *Registry) Apply(ctx context.Context, ev state.Event) {
	switch ev.Kind {
	case state.SandboxPut:
		if _, err := r.apply(ctx, ev.Sandbox); err != nil {
			r.log().Error("applying a stored sandbox change failed", "sandbox", ev.Sandbox.ID, "err", err.Error())
		}
	case state.SandboxDeleted:
		if r.remove(ev.ID, true) {
			r.log().Info("sandbox deleted through another gateway", "sandbox", ev.ID)
		}
	case state.Resync:
		r.reconcile(ctx, ev.Sandboxes)
	}
}

// reconcile makes memory hold exactly recs.
func (r *Registry) reconcile(ctx context.Context, recs []*state.Sandbox) {
	keep := make(map[string]bool, len(recs))
	for _, rec := range recs {
		keep[rec.ID] = true
		if _, err := r.apply(ctx, rec); err != nil {
			r.log().Error("resync: applying a stored sandbox failed", "sandbox", rec.ID, "err", err.Error())
		}
	}
	for _, sb := range r.List() {
		if !keep[sb.ID] {
			r.remove(sb.ID, false)
		}
	}
}
