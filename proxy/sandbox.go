package proxy

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/proxy/ca"
	"github.com/sandgate/sandgate/proxy/policy"
)

// SandboxID is the shape of a sandbox id.
var SandboxID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$`)

// Registry errors, mapped to admin statuses by the admin API.
var (
	ErrSandboxExists   = errors.New("sandbox already exists")
	ErrSandboxNotFound = errors.New("sandbox not found")
	ErrUnknownClass    = errors.New("unknown class")
	ErrSourceInUse     = errors.New("source_ip is already used by another sandbox")
)

// Sandbox is one isolated workload: its identity, its CA and its runtime
// policy overrides.
type Sandbox struct {
	ID       string
	Class    *policy.Class
	Labels   map[string]string
	SourceIP netip.Addr // zero when none
	Created  time.Time
	CA       *ca.Authority

	tokenHash [sha256.Size]byte
	overrides atomic.Pointer[policy.Overrides]
	mu        sync.Mutex // serializes override changes; guards conns
	conns     map[*clientConn]struct{}
	deleted   atomic.Bool
}

// Overrides returns the current runtime overrides (never nil).
func (s *Sandbox) Overrides() *policy.Overrides { return s.overrides.Load() }

// UpdateOverrides applies fn to a copy of the overrides and publishes it.
// fn may refuse the change by returning an error.
func (s *Sandbox) UpdateOverrides(fn func(*policy.Overrides) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.overrides.Load().Clone()
	if err := fn(next); err != nil {
		return err
	}
	s.overrides.Store(next)
	return nil
}

// checkToken compares token with the sandbox's in constant time.
func (s *Sandbox) checkToken(token string) bool {
	h := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(h[:], s.tokenHash[:]) == 1
}

func (s *Sandbox) track(c *clientConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted.Load() {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[*clientConn]struct{})
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Sandbox) untrack(c *clientConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// closeConns closes every connection the sandbox has open.
func (s *Sandbox) closeConns() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

// Registry holds the live sandboxes.
type Registry struct {
	classes map[string]*policy.Class
	// NewCA makes a sandbox's CA. If nil, ca.New is used.
	NewCA func(id string) (*ca.Authority, error)

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
	sb := &Sandbox{ID: req.ID, Class: class, Labels: req.Labels, SourceIP: req.SourceIP,
		Created: time.Now().UTC(), CA: authority, tokenHash: sha256.Sum256([]byte(token))}
	sb.overrides.Store(&policy.Overrides{})
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
	if !ok || !sb.checkToken(token) {
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
	sb.mu.Lock()
	sb.deleted.Store(true)
	sb.mu.Unlock()
	sb.closeConns()
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
