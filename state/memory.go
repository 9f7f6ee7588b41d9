package state

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Memory is a Store that keeps its records in the process only: a restart
// forgets every sandbox (backend memory).
type Memory struct {
	mu      sync.Mutex
	byID    map[string]*Sandbox
	sources map[string]string // source_ip -> id
}

// NewMemory returns an empty memory store.
func NewMemory() *Memory {
	return &Memory{byID: map[string]*Sandbox{}, sources: map[string]string{}}
}

// Load implements Store.
func (m *Memory) Load(context.Context) ([]*Sandbox, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Sandbox, 0, len(m.byID))
	for _, sb := range m.byID {
		out = append(out, sb.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Create implements Store.
func (m *Memory) Create(_ context.Context, sb *Sandbox) (*Sandbox, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[sb.ID]; ok {
		return nil, fmt.Errorf("%w: %s", ErrExists, sb.ID)
	}
	if sb.SourceIP != "" {
		if _, ok := m.sources[sb.SourceIP]; ok {
			return nil, fmt.Errorf("%w: %s", ErrSourceInUse, sb.SourceIP)
		}
		m.sources[sb.SourceIP] = sb.ID
	}
	c := sb.Clone()
	c.Version = 1
	m.byID[c.ID] = c
	return c.Clone(), nil
}

// Update implements Store.
func (m *Memory) Update(_ context.Context, id string, fn func(*Sandbox) error) (*Sandbox, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	next, err := applyUpdate(cur, fn)
	if err != nil {
		return nil, err
	}
	m.byID[id] = next
	return next.Clone(), nil
}

// applyUpdate runs fn on a copy of cur and checks what it may not change.
func applyUpdate(cur *Sandbox, fn func(*Sandbox) error) (*Sandbox, error) {
	next := cur.Clone()
	if err := fn(next); err != nil {
		return nil, err
	}
	if next.ID != cur.ID || next.SourceIP != cur.SourceIP {
		return nil, fmt.Errorf("state: updating %s: the id and source_ip cannot change", cur.ID)
	}
	next.Version = cur.Version + 1
	return next, nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, id string, check func(*Sandbox) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.byID[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if check != nil {
		if err := check(cur.Clone()); err != nil {
			return err
		}
	}
	delete(m.byID, id)
	if cur.SourceIP != "" {
		delete(m.sources, cur.SourceIP)
	}
	return nil
}

// UpdateAll implements Store.
func (m *Memory) UpdateAll(_ context.Context, fn func(*Sandbox) error) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := make(map[string]*Sandbox, len(m.byID))
	for id, cur := range m.byID {
		n, err := applyUpdate(cur, fn)
		if err != nil {
			return 0, err
		}
		next[id] = n
	}
	m.byID = next
	return len(next), nil
}

// Health implements Store.
func (m *Memory) Health() Health { return Health{Backend: "memory", Healthy: true} }

// Describe implements Store.
func (m *Memory) Describe() string { return "memory" }

// Close implements Store.
func (m *Memory) Close() error { return nil }

var _ Store = (*Memory)(nil)
