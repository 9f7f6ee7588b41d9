package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bolt buckets: one record per sandbox by id, and the source_ip index.
var (
	bucketSandboxes = []byte("sandboxes")
	bucketSources   = []byte("sources")
	bucketMeta      = []byte("meta")
)

// DefaultBatchDelay is how long a bolt write waits for others to share its
// commit and sync (bbolt's MaxBatchDelay; bbolt's own default is 10ms, too
// long for one lone creation).
const DefaultBatchDelay = time.Millisecond

// Bolt is a Store in one bbolt file (backend bolt). Every change is
// committed and synced before it returns; concurrent changes share a
// commit through bbolt's Batch.
type Bolt struct {
	db      *bolt.DB
	path    string
	onError func(op string)
	healthy atomic.Bool
}

// BoltOptions configures OpenBolt. Zero fields take their defaults.
type BoltOptions struct {
	// BatchDelay: see DefaultBatchDelay.
	BatchDelay time.Duration
	// LockTimeout bounds the wait for another process's lock on the file.
	// Zero means one second.
	LockTimeout time.Duration
	// ReadOnly opens the file without writing to it (and without creating it).
	ReadOnly bool
	// OnError, if non-nil, counts a write that failed (not a refusal).
	OnError func(op string)
}

// OpenBolt opens (or creates, mode 0600 in a 0700 folder) the state file.
func OpenBolt(path string, o BoltOptions) (*Bolt, error) {
	if o.BatchDelay <= 0 {
		o.BatchDelay = DefaultBatchDelay
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("state: creating the folder of %s: %w", path, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout, ReadOnly: o.ReadOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("state: opening %s: the file is in use by another process (a running sandgate?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	}
	db.MaxBatchDelay = o.BatchDelay
	b := &Bolt{db: db, path: path, onError: o.OnError}
	if !o.ReadOnly {
		if err := b.prepare(); err != nil {
			db.Close()
			return nil, fmt.Errorf("state: preparing %s: %w", path, err)
		}
	}
	b.healthy.Store(true)
	return b, nil
}

// prepare makes the buckets of a new file. A file that has them is not
// written to: a gateway that refuses to start leaves it as it was.
func (b *Bolt) prepare() error {
	ready := false
	_ = b.db.View(func(tx *bolt.Tx) error {
		ready = tx.Bucket(bucketSandboxes) != nil && tx.Bucket(bucketSources) != nil && tx.Bucket(bucketMeta) != nil
		return nil
	})
	if ready {
		return nil
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketSandboxes, bucketSources, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put([]byte("format"), []byte("1"))
	})
}

// Path is the file.
func (b *Bolt) Path() string { return b.path }

// Load implements Store. Records come sorted by id.
func (b *Bolt) Load(context.Context) ([]*Sandbox, error) {
	var out []*Sandbox
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketSandboxes)
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(k, v []byte) error {
			sb, err := Unmarshal(b.path+": sandbox "+string(k), v)
			if err != nil {
				return err
			}
			out = append(out, sb)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state: reading %s: %w", b.path, err)
	}
	return out, nil
}

// write runs fn in a batched, synced write transaction. A refusal (no
// such sandbox, one exists, the caller's own fn said no) passes through;
// any other failure makes the store unavailable.
func (b *Bolt) write(op string, fn func(tx *bolt.Tx) error) error {
	err := b.db.Batch(fn)
	switch {
	case err == nil:
		b.healthy.Store(true)
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return ErrClosed
	case isCallerError(err), errors.Is(err, ErrNotFound), errors.Is(err, ErrExists), errors.Is(err, ErrSourceInUse):
	default:
		b.healthy.Store(false)
		if b.onError != nil {
			b.onError(op)
		}
		return Unavailable(fmt.Errorf("writing %s: %w", b.path, err))
	}
	return err
}

// callerError marks an error returned by a caller's fn, passed through
// untouched.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }
func (e callerError) Unwrap() error { return e.err }

func isCallerError(err error) bool {
	var ce callerError
	return errors.As(err, &ce)
}

// unwrapCaller returns the caller's own error as it was.
func unwrapCaller(err error) error {
	var ce callerError
	if errors.As(err, &ce) {
		return ce.err
	}
	return err
}

// Create implements Store.
func (b *Bolt) Create(_ context.Context, sb *Sandbox) (*Sandbox, error) {
	rec := sb.Clone()
	rec.Version = 1
	val, err := rec.Marshal()
	if err != nil {
		return nil, err
	}
	err = b.write("create", func(tx *bolt.Tx) error {
		sbs, src := tx.Bucket(bucketSandboxes), tx.Bucket(bucketSources)
		if sbs.Get([]byte(rec.ID)) != nil {
			return fmt.Errorf("%w: %s", ErrExists, rec.ID)
		}
		if rec.SourceIP != "" {
			if src.Get([]byte(rec.SourceIP)) != nil {
				return fmt.Errorf("%w: %s", ErrSourceInUse, rec.SourceIP)
			}
			if err := src.Put([]byte(rec.SourceIP), []byte(rec.ID)); err != nil {
				return err
			}
		}
		return sbs.Put([]byte(rec.ID), val)
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// Update implements Store.
func (b *Bolt) Update(_ context.Context, id string, fn func(*Sandbox) error) (*Sandbox, error) {
	var out *Sandbox
	err := b.write("update", func(tx *bolt.Tx) error {
		next, err := b.updateOne(tx, id, fn)
		out = next
		return err
	})
	if err != nil {
		return nil, unwrapCaller(err)
	}
	return out, nil
}

func (b *Bolt) updateOne(tx *bolt.Tx, id string, fn func(*Sandbox) error) (*Sandbox, error) {
	bk := tx.Bucket(bucketSandboxes)
	v := bk.Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	cur, err := Unmarshal(b.path+": sandbox "+id, v)
	if err != nil {
		return nil, err
	}
	next, err := applyUpdate(cur, fn)
	if err != nil {
		return nil, callerError{err}
	}
	val, err := next.Marshal()
	if err != nil {
		return nil, err
	}
	return next, bk.Put([]byte(id), val)
}

// Delete implements Store.
func (b *Bolt) Delete(_ context.Context, id string, check func(*Sandbox) error) error {
	err := b.write("delete", func(tx *bolt.Tx) error {
		sbs := tx.Bucket(bucketSandboxes)
		v := sbs.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		cur, err := Unmarshal(b.path+": sandbox "+id, v)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(cur); err != nil {
				return callerError{err}
			}
		}
		if cur.SourceIP != "" {
			if err := tx.Bucket(bucketSources).Delete([]byte(cur.SourceIP)); err != nil {
				return err
			}
		}
		return sbs.Delete([]byte(id))
	})
	return unwrapCaller(err)
}

// UpdateAll implements Store: one transaction, all or nothing.
func (b *Bolt) UpdateAll(_ context.Context, fn func(*Sandbox) error) (int, error) {
	n := 0
	err := b.db.Update(func(tx *bolt.Tx) error {
		var ids []string
		_ = tx.Bucket(bucketSandboxes).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
		for _, id := range ids {
			if _, err := b.updateOne(tx, id, fn); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("state: rewriting %s: %w", b.path, unwrapCaller(err))
	}
	return n, nil
}

// Health implements Store.
func (b *Bolt) Health() Health { return Health{Backend: "bolt", Healthy: b.healthy.Load()} }

// Describe implements Store.
func (b *Bolt) Describe() string { return "state file " + b.path }

// Close implements Store.
func (b *Bolt) Close() error { return b.db.Close() }

var _ Store = (*Bolt)(nil)
