package etcd

import (
	"context"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// decodeScripts reads the stored set: name -> source ([]byte is base64 in
// JSON, so any bytes survive).
func decodeScripts(b []byte) (map[string][]byte, error) {
	var set map[string][]byte
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("state/etcd: decoding the script set: %w", err)
	}
	if set == nil {
		set = map[string][]byte{}
	}
	return set, nil
}

// Scripts implements state.ScriptStore.
func (s *Store) Scripts(ctx context.Context) (map[string][]byte, int64, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.scriptsKey())
	if err != nil {
		return nil, 0, s.failed("scripts", err)
	}
	s.seen(resp.Header.Revision)
	if len(resp.Kvs) == 0 {
		return nil, resp.Header.Revision, nil
	}
	set, err := decodeScripts(resp.Kvs[0].Value)
	return set, resp.Header.Revision, err
}

// UpdateScripts implements state.ScriptStore: one key holds the whole set,
// written only if nobody changed it since it was read.
func (s *Store) UpdateScripts(ctx context.Context, fn func(map[string][]byte) (map[string][]byte, error)) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := s.scriptsKey()
	for {
		resp, err := s.cli.Get(ctx, key)
		if err != nil {
			return s.failed("scripts", err)
		}
		var cur map[string][]byte
		var cmp clientv3.Cmp
		if len(resp.Kvs) == 0 {
			cmp = clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
		} else {
			if cur, err = decodeScripts(resp.Kvs[0].Value); err != nil {
				return err
			}
			cmp = clientv3.Compare(clientv3.ModRevision(key), "=", resp.Kvs[0].ModRevision)
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		val, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("state/etcd: encoding the script set: %w", err)
		}
		tr, err := s.cli.Txn(ctx).If(cmp).Then(clientv3.OpPut(key, string(val))).Commit()
		if err != nil {
			return s.failed("scripts", err)
		}
		s.seen(tr.Header.Revision)
		if tr.Succeeded {
			return nil
		}
	}
}
