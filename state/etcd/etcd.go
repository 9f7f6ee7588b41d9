// Package etcd is the state store of a fleet: sandboxes, their sealed CA
// keys and the script set in an etcd cluster, under one key prefix, with a
// watch that tells every gateway what the others changed.
//
// Keys under the prefix: sandboxes/<id> (a JSON record), sources/<ip> (the
// id that owns a source_ip) and scripts (the whole script set as one JSON
// value, so a set changes all at once). Every write is a transaction that
// compares the revision it read, and retries on a concurrent change.
package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/sandgate/sandgate/state"
)

// Options configures Open.
type Options struct {
	Endpoints []string
	// Prefix is the key prefix; it should end in "/".
	Prefix string
	// DialTimeout bounds connecting and every operation: an admin change
	// fails within it when the cluster does not answer.
	DialTimeout time.Duration
	// TLS, if non-nil, is used to reach the endpoints.
	TLS *tls.Config
	// Username and Password log in to etcd's auth when Username is set.
	Username, Password string
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// OnResync, if non-nil, is called at every full resync of the watch.
	OnResync func()
	// OnError, if non-nil, counts a failed operation: create, update,
	// delete, load, scripts, watch.
	OnError func(op string)
}

// Store is a state.Store, state.Watcher and state.ScriptStore on etcd.
type Store struct {
	cli     *clientv3.Client
	o       Options
	log     *slog.Logger
	healthy atomic.Bool
	outage  atomic.Bool  // an operation failed since the probe last succeeded
	rev     atomic.Int64 // the highest revision seen
	loadRev atomic.Int64 // the revision of the last Load
	kick    chan struct{}
}

// Open connects to the cluster. It does not wait for it: the first Load
// does, and fails within DialTimeout when nothing answers.
func Open(o Options) (*Store, error) {
	if len(o.Endpoints) == 0 {
		return nil, errors.New("state/etcd: no endpoints")
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: o.Endpoints, DialTimeout: o.DialTimeout, TLS: o.TLS,
		Username: o.Username, Password: o.Password,
		DialKeepAliveTime: 2 * time.Second, DialKeepAliveTimeout: o.DialTimeout,
		Logger: zap.NewNop(), // failures reach the log through our own errors
		// gRPC waits up to two minutes between reconnects by default; a
		// gateway must catch up within seconds of etcd coming back.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: o.DialTimeout,
		})},
	})
	if err != nil {
		return nil, fmt.Errorf("state/etcd: connecting to %s: %w", strings.Join(o.Endpoints, ","), err)
	}
	s := &Store{cli: cli, o: o, log: o.Logger, kick: make(chan struct{}, 1)}
	s.healthy.Store(true)
	return s, nil
}

func (s *Store) sandboxKey(id string) string { return s.o.Prefix + "sandboxes/" + id }
func (s *Store) sourceKey(ip string) string  { return s.o.Prefix + "sources/" + ip }
func (s *Store) scriptsKey() string          { return s.o.Prefix + "scripts" }

// op bounds one operation by DialTimeout.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.o.DialTimeout)
}

// seen records a revision and that the cluster answered.
func (s *Store) seen(rev int64) {
	s.healthy.Store(true)
	for {
		cur := s.rev.Load()
		if rev <= cur || s.rev.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// failed turns a client error into an unavailable store error.
func (s *Store) failed(op string, err error) error {
	if s.o.OnError != nil {
		s.o.OnError(op)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	s.healthy.Store(false)
	s.outage.Store(true)
	return state.Unavailable(fmt.Errorf("etcd %s: %s: %w", strings.Join(s.o.Endpoints, ","), op, err))
}

// Load implements state.Store.
func (s *Store) Load(ctx context.Context) ([]*state.Sandbox, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.o.Prefix+"sandboxes/", clientv3.WithPrefix())
	if err != nil {
		return nil, s.failed("load", err)
	}
	s.seen(resp.Header.Revision)
	s.loadRev.Store(resp.Header.Revision)
	out := make([]*state.Sandbox, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		sb, err := state.Unmarshal(string(kv.Key), kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, sb)
	}
	return out, nil
}

// Create implements state.Store: the record and its source_ip claim in
// one transaction that requires both keys to be absent.
func (s *Store) Create(ctx context.Context, sb *state.Sandbox) (*state.Sandbox, error) {
	rec := sb.Clone()
	rec.Version = 1
	val, err := rec.Marshal()
	if err != nil {
		return nil, err
	}
	key := s.sandboxKey(rec.ID)
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(key), "=", 0)}
	ops := []clientv3.Op{clientv3.OpPut(key, string(val))}
	if rec.SourceIP != "" {
		src := s.sourceKey(rec.SourceIP)
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(src), "=", 0))
		ops = append(ops, clientv3.OpPut(src, rec.ID))
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Else(clientv3.OpGet(key, clientv3.WithCountOnly())).Commit()
	if err != nil {
		return nil, s.failed("create", err)
	}
	s.seen(resp.Header.Revision)
	if !resp.Succeeded {
		if resp.Responses[0].GetResponseRange().Count > 0 {
			return nil, fmt.Errorf("%w: %s", state.ErrExists, rec.ID)
		}
		return nil, fmt.Errorf("%w: %s", state.ErrSourceInUse, rec.SourceIP)
	}
	return rec, nil
}

// get reads one record and its modification revision.
func (s *Store) get(ctx context.Context, op, id string) (*state.Sandbox, int64, error) {
	resp, err := s.cli.Get(ctx, s.sandboxKey(id))
	if err != nil {
		return nil, 0, s.failed(op, err)
	}
	s.seen(resp.Header.Revision)
	if len(resp.Kvs) == 0 {
		return nil, 0, fmt.Errorf("%w: %s", state.ErrNotFound, id)
	}
	rec, err := state.Unmarshal(string(resp.Kvs[0].Key), resp.Kvs[0].Value)
	return rec, resp.Kvs[0].ModRevision, err
}

// Update implements state.Store: read, apply fn, write if the key has not
// changed since the read; else again from the read.
func (s *Store) Update(ctx context.Context, id string, fn func(*state.Sandbox) error) (*state.Sandbox, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	for {
		cur, modRev, err := s.get(ctx, "update", id)
		if err != nil {
			return nil, err
		}
		next := cur.Clone()
		if err := fn(next); err != nil {
			return nil, err
		}
		if next.ID != cur.ID || next.SourceIP != cur.SourceIP {
			return nil, fmt.Errorf("state/etcd: updating %s: the id and source_ip cannot change", id)
		}
		next.Version = cur.Version + 1
		val, err := next.Marshal()
		if err != nil {
			return nil, err
		}
		key := s.sandboxKey(id)
		resp, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", modRev)).
			Then(clientv3.OpPut(key, string(val))).Commit()
		if err != nil {
			return nil, s.failed("update", err)
		}
		s.seen(resp.Header.Revision)
		if resp.Succeeded {
			return next, nil
		}
	}
}

// Delete implements state.Store.
func (s *Store) Delete(ctx context.Context, id string, check func(*state.Sandbox) error) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	for {
		cur, modRev, err := s.get(ctx, "delete", id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(cur.Clone()); err != nil {
				return err
			}
		}
		key := s.sandboxKey(id)
		ops := []clientv3.Op{clientv3.OpDelete(key)}
		if cur.SourceIP != "" {
			ops = append(ops, clientv3.OpDelete(s.sourceKey(cur.SourceIP)))
		}
		resp, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", modRev)).Then(ops...).Commit()
		if err != nil {
			return s.failed("delete", err)
		}
		s.seen(resp.Header.Revision)
		if resp.Succeeded {
			return nil
		}
	}
}

// UpdateAll implements state.Store: each record in a transaction of its
// own (etcd bounds a transaction's size), so a failure part way leaves
// some records rewritten; running it again finishes the job.
func (s *Store) UpdateAll(ctx context.Context, fn func(*state.Sandbox) error) (int, error) {
	recs, err := s.Load(ctx)
	if err != nil {
		return 0, err
	}
	for i, rec := range recs {
		if _, err := s.Update(ctx, rec.ID, fn); err != nil && !errors.Is(err, state.ErrNotFound) {
			return i, err
		}
	}
	return len(recs), nil
}

// Health implements state.Store.
func (s *Store) Health() state.Health {
	return state.Health{Backend: "etcd", Healthy: s.healthy.Load(), Revision: s.rev.Load()}
}

// Describe implements state.Store.
func (s *Store) Describe() string {
	return fmt.Sprintf("etcd %s prefix %s", strings.Join(s.o.Endpoints, ","), s.o.Prefix)
}

// Close implements state.Store.
func (s *Store) Close() error { return s.cli.Close() }

var (
	_ state.Store       = (*Store)(nil)
	_ state.Watcher     = (*Store)(nil)
	_ state.ScriptStore = (*Store)(nil)
)
