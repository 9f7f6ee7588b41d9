package etcd

import (
	"context"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sandgate/sandgate/state"
)

// Watch implements state.Watcher. It follows the prefix from the revision
// of the last Load. When the watch breaks, its revision was compacted, or
// the cluster answers again after an outage, it reads everything (a
// Resync) and follows on from there, so a gateway catches up with what it
// missed without a restart.
func (s *Store) Watch(ctx context.Context, fn func(state.Event)) {
	go s.probe(ctx)
	rev := s.loadRev.Load()
	var last time.Time
	for ctx.Err() == nil {
		rev = s.follow(ctx, rev, fn)
		// A watch that keeps breaking at once must not turn into a loop of
		// full reads: at most one resync a second.
		sleep(ctx, time.Until(last.Add(time.Second)))
		last = time.Now()
		for ctx.Err() == nil {
			ev, err := s.snapshot(ctx)
			if err == nil {
				if s.o.OnResync != nil {
					s.o.OnResync()
				}
				s.log.Info("state: resynced from etcd", "revision", ev.Revision, "sandboxes", len(ev.Sandboxes))
				fn(ev)
				rev = ev.Revision
				break
			}
			s.log.Warn("state: etcd resync failed; retrying", "err", err.Error())
			sleep(ctx, time.Second)
		}
	}
}

// follow delivers events after rev until the watch breaks or the store
// asks for a resync; it returns the last revision delivered.
func (s *Store) follow(ctx context.Context, rev int64, fn func(state.Event)) int64 {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	wch := s.cli.Watch(wctx, s.o.Prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithProgressNotify())
	for {
		select {
		case <-ctx.Done():
			return rev
		case <-s.kick:
			s.log.Info("state: etcd answers again; catching up")
			return rev
		case resp, ok := <-wch:
			if !ok {
				return rev
			}
			if resp.CompactRevision != 0 {
				s.log.Warn("state: the watched revision was compacted; resyncing", "revision", rev)
				return rev
			}
			if err := resp.Err(); err != nil {
				if s.o.OnError != nil {
					s.o.OnError("watch")
				}
				s.log.Warn("state: etcd watch broke; resyncing", "err", err.Error())
				return rev
			}
			for _, ev := range resp.Events {
				if e, ok := s.event(ev); ok {
					fn(e)
				}
			}
			if resp.Header.Revision > rev {
				rev = resp.Header.Revision
				s.seen(rev)
			}
		}
	}
}

// event turns an etcd event into a state event (false: not one of ours).
func (s *Store) event(ev *clientv3.Event) (state.Event, bool) {
	key := string(ev.Kv.Key)
	rev := ev.Kv.ModRevision
	switch {
	case key == s.scriptsKey():
		if ev.Type == mvccpb.DELETE {
			return state.Event{Kind: state.ScriptsChanged, Revision: rev, Scripts: map[string][]byte{}}, true
		}
		set, err := decodeScripts(ev.Kv.Value)
		if err != nil {
			s.log.Error("state: a stored script set does not decode; ignored", "err", err.Error())
			return state.Event{}, false
		}
		return state.Event{Kind: state.ScriptsChanged, Revision: rev, Scripts: set}, true
	case strings.HasPrefix(key, s.o.Prefix+"sandboxes/"):
		id := strings.TrimPrefix(key, s.o.Prefix+"sandboxes/")
		if ev.Type == mvccpb.DELETE {
			return state.Event{Kind: state.SandboxDeleted, Revision: rev, ID: id}, true
		}
		sb, err := state.Unmarshal(key, ev.Kv.Value)
		if err != nil {
			s.log.Error("state: a stored sandbox does not decode; ignored", "key", key, "err", err.Error())
			return state.Event{}, false
		}
		return state.Event{Kind: state.SandboxPut, Revision: rev, ID: id, Sandbox: sb}, true
	}
	return state.Event{}, false
}

// snapshot reads the whole state at one revision.
func (s *Store) snapshot(ctx context.Context) (state.Event, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.o.Prefix, clientv3.WithPrefix())
	if err != nil {
		return state.Event{}, s.failed("resync", err)
	}
	s.seen(resp.Header.Revision)
	ev := state.Event{Kind: state.Resync, Revision: resp.Header.Revision}
	for _, kv := range resp.Kvs {
		if e, ok := s.event(&clientv3.Event{Type: mvccpb.PUT, Kv: kv}); ok {
			switch e.Kind {
			case state.SandboxPut:
				ev.Sandboxes = append(ev.Sandboxes, e.Sandbox)
			case state.ScriptsChanged:
				ev.Scripts = e.Scripts
			}
		}
	}
	return ev, nil
}

// probe asks the cluster for its revision every second, so Health is
// current without admin traffic, and kicks the watch into a resync when
// the cluster answers after it did not.
func (s *Store) probe(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, min(s.o.DialTimeout, 2*time.Second))
		resp, err := s.cli.Get(pctx, s.scriptsKey(), clientv3.WithCountOnly())
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.healthy.Store(false)
				s.outage.Store(true)
			}
			continue
		}
		s.seen(resp.Header.Revision)
		if s.outage.Swap(false) {
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
