package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Sources returns the current set's sources by handler name: what a fleet
// keeps in its shared store.
func (e *Engine) Sources() map[string][]byte {
	snap := e.Snapshot()
	out := make(map[string][]byte, len(snap.scripts))
	for name, sc := range snap.scripts {
		out[name] = sc.src
	}
	return out
}

// DirSources reads the handler sources of the scripts directory (*.lua,
// not *_test.lua) without compiling them.
func (e *Engine) DirSources() (map[string][]byte, error) {
	if e.cfg.dir == "" {
		return nil, fmt.Errorf("engine: no scripts directory configured")
	}
	entries, err := os.ReadDir(e.cfg.dir)
	if err != nil {
		return nil, fmt.Errorf("engine: reading scripts directory: %w", err)
	}
	out := map[string][]byte{}
	for _, ent := range entries {
		file := ent.Name()
		if ent.IsDir() || !strings.HasSuffix(file, ".lua") || strings.HasSuffix(file, "_test.lua") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(e.cfg.dir, file))
		if err != nil {
			return nil, fmt.Errorf("engine: reading %s: %w", file, err)
		}
		out[strings.TrimSuffix(file, ".lua")] = src
	}
	return out, nil
}

// Check compiles one script as Put would, without swapping it in or
// writing it anywhere: a *LoadError, ErrInvalidName or a *BindingError
// (its declared params refuse a binding of bound), else nil.
func (e *Engine) Check(name string, src []byte, bound ...Binding) error {
	if !validName(name) {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	chk := newChecker(e.cfg)
	defer chk.close()
	sc, se := chk.compile(name, src)
	if se != nil {
		return &LoadError{Errors: []ScriptError{*se}}
	}
	return checkBindings(map[string]*script{name: sc}, bound)
}

// Swap replaces the whole handler set with sources (handler name ->
// source), all or nothing: every script is compiled first, and any
// failure, or a name in bound missing from sources, gives a *LoadError
// listing them all and keeps the old set; params of bound that a new
// script's declaration refuses give a *BindingError. The scripts directory is not
// touched (a fleet keeps its scripts in its shared store). A set equal to
// the current one changes nothing. It reports whether it swapped.
func (e *Engine) Swap(sources map[string][]byte, bound []Binding) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sameSet(sources) {
		return false, nil
	}
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	chk := newChecker(e.cfg)
	defer chk.close()
	scripts := make(map[string]*script, len(sources))
	var errs []ScriptError
	for _, name := range names {
		if !validName(name) {
			errs = append(errs, ScriptError{File: name + ".lua", Msg: "invalid handler name (want [a-zA-Z0-9_][a-zA-Z0-9_-]*)"})
			continue
		}
		sc, se := chk.compile(name, sources[name])
		if se != nil {
			errs = append(errs, *se)
			continue
		}
		scripts[name] = sc
	}
	missing := map[string]bool{}
	for _, b := range bound {
		if _, ok := sources[b.Handler]; !ok && !missing[b.Handler] {
			missing[b.Handler] = true
			errs = append(errs, ScriptError{Name: b.Handler, File: b.Handler + ".lua", Msg: "bound handler missing from the new script set"})
		}
	}
	if len(errs) > 0 {
		return false, &LoadError{Errors: errs}
	}
	if err := checkBindings(scripts, bound); err != nil {
		return false, err
	}
	e.snap.Store(newSnapshot(e.cfg, e.pool, scripts))
	return true, nil
}

// sameSet reports whether sources are exactly the current set.
func (e *Engine) sameSet(sources map[string][]byte) bool {
	cur := e.snap.Load()
	if len(cur.scripts) != len(sources) {
		return false
	}
	for name, src := range sources {
		sc, ok := cur.scripts[name]
		sum := sha256.Sum256(src)
		if !ok || sc.sum != hex.EncodeToString(sum[:]) {
			return false
		}
	}
	return true
}
