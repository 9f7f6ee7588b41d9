package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"

	"github.com/sandgate/sandgate/ca"
	"github.com/sandgate/sandgate/policy"
)

// Registry errors, mapped to admin statuses by the admin API.
var (
	ErrSandboxExists   = errors.New("sandbox already exists")
	ErrSandboxNotFound = errors.New("sandbox not found")
	ErrUnknownClass    = errors.New("unknown class")
	ErrSourceInUse     = errors.New("source_ip is already used by another sandbox")
)

// Registry holds the live sandboxes.
type Registry struct {
	classes map[string]*policy.Class
	// NewCA makes a sandbox's CA. If nil, ca.New is used.
	NewCA func(id string) (*ca.Authority, error)
	// MaxRatelimitKeys caps each sandbox's ratelimit.take buckets (0:
	// ratelimit.DefaultMaxKeys).
	MaxRatelimitKeys int

	mu       sync.RWMutex
	byID     map[string]*Sandbox
	bySource map[netip.Addr]*Sandbox
}

// NewRegistry returns an empty registry over the compiled classes.
func NewRegistry(classes map[string]*policy.Class) *Registry {
	return &Registry{classes: classes, byID: map[string]*Sandbox{}, bySource: map[netip.Addr]*Sandbox{}}
}

// Class returns a class by name.
func (r *Registry) Class(name string) (*policy.Class, bool) {
	c, ok := r.classes[name]
	return c, ok
}

// CreateRequest is what POST /v1/sandboxes asks for.
type CreateRequest struct {
	ID       string
	Class    string
	SourceIP netip.Addr
	Labels   map[string]string
}

// Create makes a sandbox with a fresh CA and token. The token is returned
// once; only its hash is kept.
func (r *Registry) Create(req CreateRequest) (*Sandbox, string, error) {
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
	authority, err := r.newCA(req.ID)
	if err != nil {
		return nil, "", err
	}
	token := randomToken()
	sb := newSandbox(req.ID, class, r.MaxRatelimitKeys)
	sb.Labels, sb.SourceIP, sb.CA, sb.tokenHash = req.Labels, req.SourceIP, authority, sha256.Sum256([]byte(token))
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byID[req.ID]; dup {
		authority.Destroy()
		return nil, "", fmt.Errorf("%w: %s", ErrSandboxExists, req.ID)
	}
	if req.SourceIP.IsValid() {
		if _, dup := r.bySource[req.SourceIP]; dup {
			authority.Destroy()
			return nil, "", fmt.Errorf("%w: %s", ErrSourceInUse, req.SourceIP)
		}
		r.bySource[req.SourceIP] = sb
	}
	r.byID[req.ID] = sb
	return sb, token, nil
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

// Delete removes a sandbox, destroys its CA and closes its connections.
func (r *Registry) Delete(id string) error {
	r.mu.Lock()
	sb, ok := r.byID[id]
	if ok {
		delete(r.byID, id)
		if sb.SourceIP.IsValid() {
			delete(r.bySource, sb.SourceIP)
		}
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrSandboxNotFound, id)
	}
	sb.markDeleted()
	sb.CA.Destroy()
	return nil
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
