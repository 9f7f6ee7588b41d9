package engine

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/secrets"
)

// Defaults for the zero values of Options.
const (
	DefaultHandlerTimeout = 250 * time.Millisecond
	DefaultMaxBodyBytes   = 10 << 20
	DefaultMaxStringBytes = 16 << 20
)

// config is Options with the defaults applied.
type config struct {
	dir       string
	timeout   time.Duration
	maxBody   int64
	maxString int
	transport http.RoundTripper
	secrets   secrets.Store
	logger    *slog.Logger
	// maxHeld is the most secret values a Lua state may have been handed
	// and still serve another call (0: a state that read one is discarded).
	maxHeld int
	// concurrency is limits.handler_concurrency, maxMemory limits.max_memory.
	concurrency int
	maxMemory   uint64
}

func newConfig(o Options) *config {
	c := &config{
		dir: o.Dir, timeout: o.HandlerTimeout, maxBody: o.MaxBodyBytes, maxString: o.MaxStringBytes,
		transport: o.Transport, secrets: o.Secrets, logger: o.Logger, maxHeld: defaultMaxHeld,
		concurrency: concurrency(o.HandlerConcurrency), maxMemory: maxMemory(o.MaxMemory),
	}
	if c.timeout <= 0 {
		c.timeout = DefaultHandlerTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.maxString <= 0 {
		c.maxString = DefaultMaxStringBytes
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// Engine holds the current handler set and the pool of Lua states. Readers
// (Snapshot, Run) are lock-free; Reload, Put and Delete are serialized and
// build a whole new Snapshot before swapping it in.
type Engine struct {
	cfg  *config
	pool *pool
	mu   sync.Mutex // serializes Reload, Put and Delete
	snap atomic.Pointer[Snapshot]
}

// New loads every *.lua file of opts.Dir. If any script fails, it returns a
// *LoadError listing all of them. An empty Dir gives an engine without
// scripts whose Put fails.
func New(opts Options) (*Engine, error) {
	cfg := newConfig(opts)
	e := &Engine{cfg: cfg, pool: newPool(cfg)}
	s, err := e.loadDir(nil)
	if err != nil {
		return nil, err
	}
	e.snap.Store(s)
	return e, nil
}

// Snapshot returns the current handler set. A caller that runs a request on
// it keeps that set even if a reload swaps in another one meanwhile.
func (e *Engine) Snapshot() *Snapshot { return e.snap.Load() }

// Reload re-reads the scripts directory and swaps in the new set, or returns
// a *LoadError listing every script that fails to load and every name in
// bound missing from the directory; then the old set stays. It does not
// check params: see ReloadBound.
func (e *Engine) Reload(bound []string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.loadDir(bound)
	if err != nil {
		return err
	}
	e.snap.Store(s)
	return nil
}

// ReloadBound is Reload for the bindings in use: a handler of bound missing
// from the directory is a *LoadError, and params that a new script's
// declaration refuses are a *BindingError naming each binding; either way
// the old set stays.
func (e *Engine) ReloadBound(bound []Binding) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	names := make([]string, 0, len(bound))
	for _, b := range bound {
		names = append(names, b.Handler)
	}
	s, err := e.loadDir(slices.Compact(slices.Sorted(slices.Values(names))))
	if err != nil {
		return err
	}
	if err := checkBindings(s.scripts, bound); err != nil {
		return err
	}
	e.snap.Store(s)
	return nil
}

// Put compiles src as handler name, writes it to the scripts directory
// atomically and swaps it in. A script that does not load gives a *LoadError
// and changes nothing; an invalid name gives ErrInvalidName. bound are the
// bindings in use: when the new script's declared params refuse the params
// of one bound to name, Put returns a *BindingError and changes nothing.
func (e *Engine) Put(name string, src []byte, bound ...Binding) error {
	if !validName(name) {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	if e.cfg.dir == "" {
		return fmt.Errorf("engine: putting %s: no scripts directory configured", name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	chk := newChecker(e.cfg)
	defer chk.close()
	sc, se := chk.compile(name, src)
	if se != nil {
		return &LoadError{Errors: []ScriptError{*se}}
	}
	if err := checkBindings(map[string]*script{name: sc}, bound); err != nil {
		return err
	}
	if err := writeAtomic(e.cfg.dir, sc.file, src); err != nil {
		return fmt.Errorf("engine: writing %s: %w", sc.file, err)
	}
	e.snap.Store(e.snap.Load().with(sc))
	return nil
}

// Delete removes handler name from the scripts directory and from the set.
// It returns ErrNotFound (wrapped) for a name the set does not hold. The
// caller checks that the handler is no longer bound.
func (e *Engine) Delete(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.snap.Load()
	sc, ok := old.scripts[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err := removeFile(e.cfg.dir, sc.file); err != nil {
		return fmt.Errorf("engine: deleting %s: %w", sc.file, err)
	}
	e.snap.Store(old.without(name))
	return nil
}

// Close releases the pooled Lua states. Calls still running finish; states
// they return afterwards are kept until the Engine is garbage.
func (e *Engine) Close() { e.pool.drain() }

// checkBindings checks every binding of a handler in scripts against its
// declared params; bindings of other handlers are left alone.
func checkBindings(scripts map[string]*script, bound []Binding) error {
	var problems []string
	for _, b := range bound {
		sc := scripts[b.Handler]
		if sc == nil {
			continue
		}
		if err := sc.params.Check(b.Params); err != nil {
			problems = append(problems, b.Where+": "+err.Error())
		}
	}
	if len(problems) > 0 {
		return &BindingError{Problems: problems}
	}
	return nil
}
