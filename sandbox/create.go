package sandbox

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/state"
)

// Create is CreateContext with a background context.
func (r *Registry) Create(req CreateRequest) (*Sandbox, string, error) {
	return r.CreateContext(context.Background(), req)
}

// CreateContext makes a sandbox with a fresh CA and token and stores it,
// its CA key sealed; ctx bounds the store's write. The token is returned
// once; only its hash is kept.
func (r *Registry) CreateContext(ctx context.Context, req CreateRequest) (*Sandbox, string, error) {
	if req.Class == "" {
		req.Class = "default"
	}
	class, ok := r.classes[req.Class]
	if !ok {
		return nil, "", fmt.Errorf("%w %q", ErrUnknownClass, req.Class)
	}
	if req.ID == "" {
		req.ID = randomID()
	}
	if err := r.checkFree(req); err != nil {
		return nil, "", err
	}
	authority, err := r.newCA(req.ID)
	if err != nil {
		return nil, "", err
	}
	token := randomToken()
	sb := newSandbox(req.ID, class, r.MaxRatelimitKeys)
	sb.reg = r
	sb.Labels, sb.SourceIP, sb.CA, sb.tokenHash = req.Labels, req.SourceIP, authority, sha256.Sum256([]byte(token))
	sb.gen = generation(authority.Certificate().Raw)
	rec, err := r.record(ctx, sb)
	if err == nil {
		rec, err = r.Store.Create(ctx, rec)
	}
	if err != nil {
		authority.Destroy()
		return nil, "", storeError(err)
	}
	sb.cur.Store(&current{o: &policy.Overrides{}, version: rec.Version})
	return r.install(sb), token, nil
}

// checkFree refuses an id or source_ip taken here already, before a CA is
// made for nothing. The store checks again, for the whole fleet.
func (r *Registry) checkFree(req CreateRequest) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, dup := r.byID[req.ID]; dup {
		return fmt.Errorf("%w: %s", ErrSandboxExists, req.ID)
	}
	if _, dup := r.bySource[req.SourceIP]; dup && req.SourceIP.IsValid() {
		return fmt.Errorf("%w: %s", ErrSourceInUse, req.SourceIP)
	}
	return nil
}

// record is sb as the store keeps it, its CA key sealed.
func (r *Registry) record(ctx context.Context, sb *Sandbox) (*state.Sandbox, error) {
	rec := &state.Sandbox{ID: sb.ID, Class: sb.Class.Name, Labels: sb.Labels, Created: sb.Created, Updated: time.Now().UTC(),
		TokenHash: sb.tokenHash[:], CACert: sb.CA.Certificate().Raw, Overrides: recordOverrides(sb.Overrides())}
	if sb.SourceIP.IsValid() {
		rec.SourceIP = sb.SourceIP.String()
	}
	err := sb.CA.ExportKey(func(der []byte) error {
		blob, err := r.Seal.Seal(ctx, der, rec.SealAAD())
		rec.CAKey = blob
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: sealing the CA key of %s: %w", sb.ID, err)
	}
	return rec, nil
}

// storeError maps the store's refusals to the registry's errors.
func storeError(err error) error {
	switch {
	case errors.Is(err, state.ErrExists):
		return fmt.Errorf("%w: %v", ErrSandboxExists, err)
	case errors.Is(err, state.ErrSourceInUse):
		return fmt.Errorf("%w: %v", ErrSourceInUse, err)
	case errors.Is(err, state.ErrNotFound):
		return fmt.Errorf("%w: %v", ErrSandboxNotFound, err)
	}
	return err
}

// install adds sb to memory. A sandbox of the same creation there already
// (a watch brought it first) is kept and sb dropped; one of an older
// creation of the id is deleted.
func (r *Registry) install(sb *Sandbox) *Sandbox {
	r.mu.Lock()
	if _, gone := r.gone[sb.gen]; gone {
		r.mu.Unlock()
		sb.destroy()
		return sb
	}
	old, ok := r.byID[sb.ID]
	if ok && old.gen == sb.gen {
		r.mu.Unlock()
		sb.CA.Destroy()
		return old
	}
	if ok {
		r.unlinkLocked(old)
	}
	if prev, ok := r.bySource[sb.SourceIP]; ok && sb.SourceIP.IsValid() {
		r.unlinkLocked(prev) // the store gave its address to sb: it is gone
		defer prev.destroy()
	}
	r.byID[sb.ID] = sb
	if sb.SourceIP.IsValid() {
		r.bySource[sb.SourceIP] = sb
	}
	r.mu.Unlock()
	if ok {
		old.destroy()
	}
	return sb
}
