package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/sandgate/sandgate/ca"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/state"
)

// Registry errors, mapped to admin statuses by the admin API. A store
// that cannot be reached gives a *state.UnavailableError instead.
var (
	ErrSandboxExists   = errors.New("sandbox already exists")
	ErrSandboxNotFound = errors.New("sandbox not found")
	ErrUnknownClass    = errors.New("unknown class")
	ErrSourceInUse     = errors.New("source_ip is already used by another sandbox")
	// ErrStale: an If-Match named another version than the stored one.
	ErrStale = errors.New("the sandbox changed since it was read (If-Match does not match its ETag)")
)

// Registry holds the live sandboxes. Every change goes to the Store first
// and reaches memory only once the store has it, so a failed write leaves
// nothing half done, and a restart (or another gateway of a fleet) finds
// exactly what was answered.
type Registry struct {
	classes map[string]*policy.Class
	// NewCA makes a sandbox's CA. If nil, ca.New is used.
	NewCA func(id string) (*ca.Authority, error)
	// RestoreCA rebuilds a stored CA from its certificate and PKCS#8 key.
	// If nil, ca.Restore is used.
	RestoreCA func(id string, cert, key []byte) (*ca.Authority, error)
	// MaxRatelimitKeys caps each sandbox's ratelimit.take buckets (0:
	// ratelimit.DefaultMaxKeys).
	MaxRatelimitKeys int
	// Store keeps the sandboxes; NewRegistry sets a state.Memory.
	Store state.Store
	// Seal seals CA keys for the store; NewRegistry sets an ephemeral one.
	Seal state.Sealer
	// Logger; nil means slog.Default().
	Logger *slog.Logger

	mu       sync.RWMutex
	byID     map[string]*Sandbox
	bySource map[netip.Addr]*Sandbox
	// gone remembers the generations removed lately, so a creation whose
	// delete (through another gateway) was applied before its own install
	// does not come back.
	gone      map[string]struct{}
	goneOrder []string
}

// maxGone bounds the remembered removals.
const maxGone = 4096

// NewRegistry returns an empty registry over the compiled classes, kept
// in memory only until Store and Seal are set.
func NewRegistry(classes map[string]*policy.Class) *Registry {
	return &Registry{classes: classes, byID: map[string]*Sandbox{}, bySource: map[netip.Addr]*Sandbox{},
		Store: state.NewMemory(), Seal: state.NewEphemeralSeal()}
}

// Class returns a class by name.
func (r *Registry) Class(name string) (*policy.Class, bool) {
	c, ok := r.classes[name]
	return c, ok
}

func (r *Registry) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// CreateRequest is what POST /v1/sandboxes asks for.
type CreateRequest struct {
	ID       string
	Class    string
	SourceIP netip.Addr
	Labels   map[string]string
}

// Create makes a sandbox with a fresh CA and token and stores it, its CA
// key sealed. The token is returned once; only its hash is kept.
func (r *Registry) Create(ctx context.Context, req CreateRequest) (*Sandbox, string, error) {
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
		blob, err := r.Seal.Seal(ctx, der, []byte(sb.ID))
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

// unlinkLocked takes sb out of the maps.
func (r *Registry) unlinkLocked(sb *Sandbox) {
	if r.byID[sb.ID] == sb {
		delete(r.byID, sb.ID)
	}
	if sb.SourceIP.IsValid() && r.bySource[sb.SourceIP] == sb {
		delete(r.bySource, sb.SourceIP)
	}
}

// buryLocked remembers that sb's generation was deleted.
func (r *Registry) buryLocked(sb *Sandbox) {
	if r.gone == nil {
		r.gone = map[string]struct{}{}
	}
	if _, ok := r.gone[sb.gen]; !ok {
		r.gone[sb.gen] = struct{}{}
		r.goneOrder = append(r.goneOrder, sb.gen)
		if len(r.goneOrder) > maxGone {
			delete(r.gone, r.goneOrder[0])
			r.goneOrder = r.goneOrder[1:]
		}
	}
}

func (r *Registry) newCA(id string) (*ca.Authority, error) {
	if r.NewCA != nil {
		return r.NewCA(id)
	}
	return ca.New(ca.Options{Name: "sandgate sandbox " + id})
}

// Get returns a live sandbox.
func (r *Registry) Get(id string) (*Sandbox, bool) {
	r.mu.RLock()
	sb, ok := r.byID[id]
	r.mu.RUnlock()
	return sb, ok
}

// BySource returns the sandbox created with source_ip a.
func (r *Registry) BySource(a netip.Addr) (*Sandbox, bool) {
	r.mu.RLock()
	sb, ok := r.bySource[a.Unmap()]
	r.mu.RUnlock()
	return sb, ok
}

// Authenticate returns the sandbox id names when token is its token.
func (r *Registry) Authenticate(id, token string) (*Sandbox, bool) {
	sb, ok := r.Get(id)
	if !ok || !sb.CheckToken(token) {
		return nil, false
	}
	return sb, true
}

// Update applies fn to the sandbox's stored overrides and publishes the
// result once stored. ifMatch, when not empty, must be the sandbox's
// current ETag, one of a list of them, or "*" (else ErrStale). fn may run more than once (the store
// retries after a concurrent change) and must only change what it is
// given; an error from fn is returned and nothing changes.
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

// List returns the sandboxes sorted by id.
func (r *Registry) List() []*Sandbox {
	r.mu.RLock()
	out := make([]*Sandbox, 0, len(r.byID))
	for _, sb := range r.byID {
		out = append(out, sb)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Len is the number of sandboxes.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byID)
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return fmt.Sprintf("sb-%x", b)
}
