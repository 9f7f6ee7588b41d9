package engine

import (
	"reflect"
	"sync"
	"sync/atomic"
)

// maxFilledParams bounds the entries of a paramsCache; past it the cache
// starts over.
const maxFilledParams = 1 << 14

// paramsCache holds, per script and binding, the binding's params checked
// against the script's declaration and with its defaults filled in. A
// binding's params never change once bound (a new binding brings a new
// map), so they are keyed by the map's address; an entry holds the map, so
// the address cannot be reused while it is cached. Keeping the filled map
// also keeps its address stable, which the per-state cache of converted
// params (vm.params) relies on.
type paramsCache struct {
	m sync.Map // paramsKey -> *filledParams
	n atomic.Int64
}

type paramsKey struct {
	sc  *script
	src uintptr // 0 for no params
}

type filledParams struct {
	src     any // keeps the key's map alive
	params  any
	changed bool // params is not src: defaults were filled in
	err     error
}

// get returns params with sc's defaults filled in (changed is false when
// there were none to fill), or the *ParamsError of params that sc's
// declaration refuses.
func (c *paramsCache) get(sc *script, params any) (filled any, changed bool, err error) {
	key, cacheable := paramsKey{sc: sc}, true
	switch m := params.(type) {
	case nil:
	case map[string]any:
		key.src = uintptr(reflect.ValueOf(m).UnsafePointer())
	default:
		cacheable = false
	}
	if cacheable {
		if e, ok := c.m.Load(key); ok {
			f := e.(*filledParams)
			return f.params, f.changed, f.err
		}
	}
	f := &filledParams{src: params, params: params, err: sc.params.Check(params)}
	if f.err == nil {
		f.params, f.changed = sc.params.withDefaults(params)
	}
	if cacheable {
		if c.n.Add(1) > maxFilledParams {
			c.m.Clear()
			c.n.Store(0)
		}
		c.m.Store(key, f)
	}
	return f.params, f.changed, f.err
}
