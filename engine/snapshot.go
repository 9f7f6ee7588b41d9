package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Snapshot is an immutable set of compiled handlers. Run uses the set it is
// called on, so a request that started before a swap finishes on it.
type Snapshot struct {
	cfg     *config
	pool    *pool
	scripts map[string]*script
	names   []string
	hash    string
	params  paramsCache
}

var _ Runner = (*Snapshot)(nil)

func newSnapshot(cfg *config, p *pool, scripts map[string]*script) *Snapshot {
	s := &Snapshot{cfg: cfg, pool: p, scripts: scripts, names: slices.Sorted(maps.Keys(scripts))}
	h := sha256.New()
	for _, name := range s.names {
		fmt.Fprintf(h, "%s\x00%s\n", name, scripts[name].sum)
	}
	s.hash = hex.EncodeToString(h.Sum(nil))
	return s
}

func (s *Snapshot) with(sc *script) *Snapshot {
	scripts := maps.Clone(s.scripts)
	scripts[sc.name] = sc
	return newSnapshot(s.cfg, s.pool, scripts)
}

func (s *Snapshot) without(name string) *Snapshot {
	scripts := maps.Clone(s.scripts)
	delete(scripts, name)
	return newSnapshot(s.cfg, s.pool, scripts)
}

// Has reports whether the set holds handler name.
func (s *Snapshot) Has(name string) bool {
	_, ok := s.scripts[name]
	return ok
}

// Names returns the handler names, sorted.
func (s *Snapshot) Names() []string { return slices.Clone(s.names) }

// SHA256 returns the hex SHA-256 of handler name's source bytes, or "" when
// the set does not hold it.
func (s *Snapshot) SHA256(name string) string {
	if sc, ok := s.scripts[name]; ok {
		return sc.sum
	}
	return ""
}

// Source returns a copy of handler name's source, or nil when the set does
// not hold it.
func (s *Snapshot) Source(name string) []byte {
	if sc, ok := s.scripts[name]; ok {
		return slices.Clone(sc.src)
	}
	return nil
}

// Hash is the hex SHA-256 of the whole set (every name with its source's
// hash), for /v1/status: equal sets have equal hashes.
func (s *Snapshot) Hash() string { return s.hash }

// Params returns the params handler name declares (nil for a script that
// returns a plain function) and whether the set holds name.
func (s *Snapshot) Params(name string) (Params, bool) {
	sc, ok := s.scripts[name]
	if !ok {
		return nil, false
	}
	return sc.params, true
}

// CheckParams checks a binding's params against what handler declares: a
// *ParamsError names each problem, ErrUnknownHandler (wrapped) a name the
// set does not hold.
func (s *Snapshot) CheckParams(handler string, params any) error {
	sc, ok := s.scripts[handler]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownHandler, handler)
	}
	return sc.params.Check(params)
}

// Run calls handler call.Handler as handler(req, ctx), with the defaults of
// its declared params filled into ctx.params. It returns ErrUnknownHandler
// (wrapped) for a name the set does not hold, a *FetchError for an uncaught
// failure of fetch, and a *HandlerError for any other failure, params that
// the declaration refuses included. On error nothing was forwarded on the
// sandbox's behalf.
func (s *Snapshot) Run(ctx context.Context, call *Call) (Result, error) {
	sc, ok := s.scripts[call.Handler]
	if !ok {
		return Result{}, fmt.Errorf("%w: %q", ErrUnknownHandler, call.Handler)
	}
	if call.Request == nil || call.Request.URL == nil {
		return Result{}, &HandlerError{Handler: call.Handler, Err: errors.New("call without a request")}
	}
	if sc.params != nil {
		params, changed, err := s.params.get(sc, call.Params)
		if err != nil {
			return Result{}, &HandlerError{Handler: call.Handler, Err: fmt.Errorf("binding params: %w", err)}
		}
		if changed {
			c := *call
			c.Params = params
			call = &c
		}
	}
	return s.pool.run(ctx, sc, call, len(s.scripts))
}
