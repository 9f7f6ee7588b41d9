package sandbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/state"
)

// Update applies fn to the sandbox's stored overrides and publishes the
// result once stored. ifMatch, when not empty, is an If-Match value: the
// sandbox's current ETag, a list holding it, or "*" (else ErrStale). fn
// may run more than once (the store retries after a concurrent change)
// and must only change what it is given; an error from fn is returned and
// nothing changes.
func (r *Registry) Update(ctx context.Context, id, ifMatch string, fn func(*policy.Overrides) error) (*Sandbox, error) {
	if _, ok := r.Get(id); !ok {
		return nil, fmt.Errorf("%w: %s", ErrSandboxNotFound, id)
	}
	var next *policy.Overrides
	rec, err := r.Store.Update(ctx, id, func(rec *state.Sandbox) error {
		if ifMatch != "" && !matchesIfMatch(ifMatch, ETag(rec)) {
			return ErrStale
		}
		o, err := compileOverrides(rec.Overrides)
		if err != nil {
			return fmt.Errorf("sandbox: stored overrides of %s: %w", id, err)
		}
		if err := fn(o); err != nil {
			return err
		}
		rec.Overrides, rec.Updated, next = recordOverrides(o), time.Now().UTC(), o
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		r.remove(id, true) // deleted elsewhere; the watch will say so too
	}
	if err != nil {
		return nil, storeError(err)
	}
	sb, ok := r.Get(id)
	if !ok || sb.gen != generation(rec.CACert) {
		// Deleted or recreated meanwhile: follow the store.
		if sb, err = r.apply(ctx, rec); err != nil || sb == nil {
			return nil, fmt.Errorf("%w: %s", ErrSandboxNotFound, id)
		}
		return sb, nil
	}
	sb.setOverrides(next, rec.Version)
	return sb, nil
}

// UpdateOverrides changes the sandbox's runtime policy through its
// registry (Registry.Update with no If-Match): stored first, then
// published. A sandbox not made by a registry changes in memory only.
func (s *Sandbox) UpdateOverrides(fn func(*policy.Overrides) error) error {
	if s.reg == nil {
		next := s.Overrides().Clone()
		if err := fn(next); err != nil {
			return err
		}
		s.setOverrides(next, s.cur.Load().version+1)
		return nil
	}
	_, err := s.reg.Update(context.Background(), s.ID, "", fn)
	return err
}

// Delete removes a sandbox from the store, then from memory: its CA is
// destroyed and its connections closed. ifMatch as for Update.
func (r *Registry) Delete(ctx context.Context, id, ifMatch string) error {
	var check func(*state.Sandbox) error
	if ifMatch != "" {
		check = func(rec *state.Sandbox) error {
			if !matchesIfMatch(ifMatch, ETag(rec)) {
				return ErrStale
			}
			return nil
		}
	}
	err := r.Store.Delete(ctx, id, check)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return storeError(err)
	}
	if !r.remove(id, true) && err != nil {
		return fmt.Errorf("%w: %s", ErrSandboxNotFound, id)
	}
	return nil
}

// remove drops a sandbox from memory, destroys its CA and closes its
// connections; it reports whether there was one. With bury, a late
// install of the same creation is refused (it was deleted).
func (r *Registry) remove(id string, bury bool) bool {
	r.mu.Lock()
	sb, ok := r.byID[id]
	if ok {
		r.unlinkLocked(sb)
		if bury {
			r.buryLocked(sb)
		}
	}
	r.mu.Unlock()
	if ok {
		sb.destroy()
	}
	return ok
}
