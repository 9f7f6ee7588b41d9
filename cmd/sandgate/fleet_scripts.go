package main

import (
	"context"
	"fmt"

	"github.com/sandgate/sandgate/engine"
)

// fleetScripts is the admin API's view of scripts in a fleet: changes go
// to the shared store (all or nothing), then to this gateway's engine; the
// others follow through their watch. scripts_dir is only read (reload).
type fleetScripts struct {
	scriptsAdapter
	f *fleet
}

func (s fleetScripts) Put(name string, src []byte, bound []engine.Binding) error {
	if err := s.e.Check(name, src, bound...); err != nil {
		return err
	}
	return s.update(func(set map[string][]byte) (map[string][]byte, error) {
		set[name] = src
		return set, nil
	})
}

func (s fleetScripts) Delete(name string) error {
	return s.update(func(set map[string][]byte) (map[string][]byte, error) {
		if _, ok := set[name]; !ok {
			return nil, fmt.Errorf("%w: %q", engine.ErrNotFound, name)
		}
		delete(set, name)
		return set, nil
	})
}

// Reload reads this gateway's scripts_dir and makes it the fleet's set,
// once it compiles here with every bound handler in it.
func (s fleetScripts) Reload(bound []engine.Binding) error {
	set, err := s.e.DirSources()
	if err != nil {
		return err
	}
	if err := s.check(set, bound); err != nil {
		return err
	}
	return s.update(func(map[string][]byte) (map[string][]byte, error) { return set, nil })
}

// check compiles a set in a throwaway engine, so nothing is swapped in
// before the store has it.
func (s fleetScripts) check(set map[string][]byte, bound []engine.Binding) error {
	tmp, err := engine.New(engine.Options{})
	if err != nil {
		return err
	}
	defer tmp.Close()
	_, err = tmp.Swap(set, bound)
	return err
}

// update changes the stored set with fn (given a copy), then swaps the
// result in here.
func (s fleetScripts) update(fn func(map[string][]byte) (map[string][]byte, error)) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.f.cfg.State.Etcd.DialTimeout.Duration)
	defer cancel()
	var next map[string][]byte
	err := s.f.scripts.UpdateScripts(ctx, func(cur map[string][]byte) (map[string][]byte, error) {
		set := make(map[string][]byte, len(cur)+1)
		for k, v := range cur {
			set[k] = v
		}
		out, err := fn(set)
		next = out
		return out, err
	})
	if err != nil {
		return err
	}
	if _, err := s.e.Swap(next, nil); err != nil {
		return err
	}
	return nil
}
