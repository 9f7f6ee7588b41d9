package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"sync"

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
	// RestoreCA rebuilds a stored CA from its certificate and PKCS#8 key
	// (the caller clears key afterwards). If nil, ca.RestoreLazy is used.
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
