package engine

import "context"

// run calls sc on a pooled state: the call takes its place among its
// sandbox's slots and is watched by the memory guard, which may stop it
// by cancelling its context. live is the number of scripts in the
// snapshot (for the state's cache).
func (p *pool) run(ctx context.Context, sc *script, call *Call, live int) (Result, error) {
	// The call's own context (see vm.run): the memory guard cancels it
	// while the call runs, never after.
	ctx, cancel := context.WithCancelCause(ctx)
	g := &guards{w: memWatch{cancel: cancel}}
	p.mem.enter(&g.w)
	p.slots.join(&g.sl, call.SandboxID)
	v := p.get()
	v.trimCache(live)
	res, err := v.run(ctx, cancel, sc, call, &g.sl)
	p.mem.finish(&g.w)
	if err == nil && g.w.stopped { // stopped as it returned: ctx is cancelled
		if res.Response != nil {
			res.Response.Body.Close()
		}
		res, err = Result{}, &HandlerError{Handler: sc.name, Err: memoryErr(p.cfg)}
	}
	g.sl.leave()
	if err != nil {
		p.discard(v)
	} else {
		p.put(v)
	}
	p.mem.released(&g.w)
	return res, err
}

// guards is a call's place with the memory guard and among its sandbox's
// slots, in one allocation.
type guards struct {
	w  memWatch
	sl slot
}
