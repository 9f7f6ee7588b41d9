package state

import (
	"context"
	"errors"
)

// Errors of a Store. A store wraps them with what it was doing.
var (
	// ErrNotFound: no sandbox with that id.
	ErrNotFound = errors.New("state: sandbox not found")
	// ErrExists: a sandbox with that id is stored already.
	ErrExists = errors.New("state: sandbox already exists")
	// ErrSourceInUse: another stored sandbox has that source_ip.
	ErrSourceInUse = errors.New("state: source_ip is used by another sandbox")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("state: store closed")
)

// UnavailableError is a store that cannot be reached or cannot write (etcd
// down, a disk error). The admin API answers 503 with its text.
type UnavailableError struct {
	Err error
}

func (e *UnavailableError) Error() string { return "state store unavailable: " + e.Err.Error() }
func (e *UnavailableError) Unwrap() error { return e.Err }

// Unavailable wraps err in an *UnavailableError (nil stays nil).
func Unavailable(err error) error {
	if err == nil {
		return nil
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return err
	}
	return &UnavailableError{Err: err}
}

// IsUnavailable reports whether err says the store is unavailable.
func IsUnavailable(err error) bool {
	var ue *UnavailableError
	return errors.As(err, &ue)
}

// Store keeps sandbox records. Every method is safe for concurrent use and
// returns only once its change is durable (bolt: committed and synced;
// etcd: acknowledged by the cluster). Records passed in and out are
// copies: a caller may keep or change them.
type Store interface {
	// Load returns every stored sandbox.
	Load(ctx context.Context) ([]*Sandbox, error)
	// Create stores a new record with Version 1. It fails with ErrExists
	// or ErrSourceInUse, storing nothing.
	Create(ctx context.Context, sb *Sandbox) (*Sandbox, error)
	// Update applies fn to the stored record and stores the result with
	// Version one higher. fn may run more than once (a store retries after
	// a concurrent change), each time on a fresh copy of the latest record;
	// an error from fn is returned and nothing is stored.
	Update(ctx context.Context, id string, fn func(*Sandbox) error) (*Sandbox, error)
	// Delete removes a record after check (if non-nil) accepted the
	// current one.
	Delete(ctx context.Context, id string, check func(*Sandbox) error) error
	// UpdateAll applies fn to every record (state reseal); a bolt store
	// does it in one transaction, all or nothing.
	UpdateAll(ctx context.Context, fn func(*Sandbox) error) (int, error)
	// Health says whether the store works and, for etcd, its revision.
	Health() Health
	// Describe names the store for messages: the bolt file, the etcd
	// endpoints and prefix, "memory".
	Describe() string
	Close() error
}

// Health is what /v1/status shows of the store.
type Health struct {
	Backend  string `json:"backend"`
	Healthy  bool   `json:"healthy"`
	Revision int64  `json:"revision,omitempty"`
}

// EventKind says what an Event carries.
type EventKind int

const (
	// SandboxPut: a record was created or changed (Sandbox is set).
	SandboxPut EventKind = iota + 1
	// SandboxDeleted: the record of ID was deleted.
	SandboxDeleted
	// ScriptsChanged: the fleet's script set is now Scripts.
	ScriptsChanged
	// Resync: the watch was broken or too far behind; Sandboxes and
	// Scripts are the whole state at Revision, and anything not in them
	// is gone.
	Resync
)

// Event is one change a Watcher reports.
type Event struct {
	Kind      EventKind
	Revision  int64
	ID        string
	Sandbox   *Sandbox
	Sandboxes []*Sandbox
	// Scripts is the script set (ScriptsChanged, Resync); nil in a Resync
	// when none is stored.
	Scripts map[string][]byte
}

// Watcher is a store shared with other gateways: it reports their changes.
type Watcher interface {
	// Watch calls fn, from one goroutine, for every change after the
	// revision of the last Load until ctx ends. When it cannot follow (a
	// broken watch, a compacted revision) it sends a Resync and follows on
	// from there.
	Watch(ctx context.Context, fn func(Event))
}

// ScriptStore keeps the fleet's script set.
type ScriptStore interface {
	// Scripts returns the stored set (nil when none) and its revision.
	Scripts(ctx context.Context) (map[string][]byte, int64, error)
	// UpdateScripts applies fn to the stored set (nil when none) and
	// stores its result in one write. fn may run more than once.
	UpdateScripts(ctx context.Context, fn func(map[string][]byte) (map[string][]byte, error)) error
}
