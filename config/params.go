package config

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrSkip, returned by a CheckParams callback, passes over a binding it has
// nothing to say about (a handler CheckHandlers reports as unknown).
var ErrSkip = errors.New("config: skip this binding")

// CheckParams reports every class binding whose params check refuses, at
// the binding's line. check gets the params as encoding/json would decode
// them (so YAML and admin API bindings look alike) and returns what is
// wrong with them, e.g. "params.header: required".
func (c *Config) CheckParams(check func(handler string, params any) error) error {
	var errs []error
	c.eachBinding(func(key string, b *Binding) {
		err := check(b.Handler, JSONParams(b.Params))
		if err != nil && !errors.Is(err, ErrSkip) {
			errs = append(errs, &Error{File: c.File, Line: b.Line, Key: key, Msg: fmt.Sprintf("handler %s: %v", b.Handler, err)})
		}
	})
	if len(errs) == 0 {
		return nil
	}
	return joinErrors(errs)
}

// eachBinding calls fn with every class binding and its dotted key, classes
// and patterns in order, so errors come out in a stable order.
func (c *Config) eachBinding(fn func(key string, b *Binding)) {
	for _, name := range sortedKeys(c.Classes) {
		cl := c.Classes[name]
		key := "classes." + name
		if cl.Outbound != nil {
			fn(key+".outbound", cl.Outbound)
		}
		for _, pat := range sortedKeys(cl.OutboundByHost) {
			fn(key+".outbound_by_host."+pat, cl.OutboundByHost[pat])
		}
	}
}

// JSONParams returns a binding's params as encoding/json decodes them: a
// map[string]any of strings, float64s, bools, []any and map[string]any, or
// nil for none.
func JSONParams(p map[string]any) any {
	if p == nil {
		return nil
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return p // validate refused it already
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return p
	}
	return v
}
