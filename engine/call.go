package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

var errTimeLimit = errors.New("engine: handler time limit")

// callState is one handler call as the Lua API sees it.
type callState struct {
	ctx     context.Context // the caller's: bounds fetch and secrets.get
	call    *Call
	handler string
	done    bool // the call has ended; its objects refuse to work
	budget  budget
	req     *reqObj

	secretVals []string       // values secrets.get and secrets.protect handed to the script
	held       *heldSecrets   // the state's: every value it was ever handed
	fetchErrs  []fetchFailure // errors fetch raised, for mapping an uncaught one
	responses  []*resObj      // closed at the end unless returned

	params lua.LValue // ctx.params, converted on first use
	labels lua.LValue

	lctx yieldingCtx // what the Lua state runs under
}

// A call that computes for long (a loop, until its time limit) yields its
// goroutine after every yieldAfter of running, so that other sandboxes'
// requests get the core within tens of microseconds instead of at Go's
// 10 ms preemption: with 16 of one sandbox's handlers looping, another's
// p99 went from 55 to 16 ms (bench/reliability, noisy neighbour). The clock
// is read every yieldCheck instructions. A yield costs a few microseconds:
// a handler that computes for long runs about 13% slower (3 million loop
// iterations: 550 to 622 ms), one that returns within yieldAfter does not.
const (
	yieldCheck = 1 << 8
	yieldAfter = 20 * time.Microsecond
)

// yieldingCtx is the context a Lua state runs under. gopher-lua checks
// Done once per instruction, from the state's goroutine only, so Done
// counts instructions there and yields.
type yieldingCtx struct {
	context.Context
	n    uint32
	last time.Time // the call's start or its last yield
}

func (c *yieldingCtx) Done() <-chan struct{} {
	if c.n++; c.n%yieldCheck == 0 {
		if now := time.Now(); now.Sub(c.last) >= yieldAfter {
			runtime.Gosched()
			c.last = time.Now()
		}
	}
	return c.Context.Done()
}

type fetchFailure struct {
	msg string // the Lua error message fetch raised
	err error  // the transport's error
}

// budget is the Lua time of a call: a timer that cancels the state's context,
// stopped while the call waits in fetch, secrets.get or a body read. The
// call's slot is given back for the wait too, and taken again (within the
// time left) before Lua goes on.
type budget struct {
	timer  *time.Timer
	left   time.Duration
	since  time.Time
	paused bool
	slot   *slot
	ctx    context.Context // the state's: ends a wait for the slot
}

func (b *budget) start(d time.Duration, cancel context.CancelCauseFunc) {
	b.left, b.since = d, time.Now()
	b.timer = time.AfterFunc(d, func() { cancel(errTimeLimit) })
}

func (b *budget) pause() {
	if !b.paused && b.timer.Stop() {
		b.left -= time.Since(b.since)
		b.paused = true
	}
	b.slot.release()
}

// resume restarts the clock, then waits for a slot. A wait cut short by
// the time limit or a stop needs no error here: the state's context is
// done, so Lua stops at its next instruction.
func (b *budget) resume() {
	if b.paused {
		b.paused = false
		b.since = time.Now()
		b.timer.Reset(max(b.left, 0))
	}
	b.slot.acquire(b.ctx)
}

// run calls the handler of sc on v once sl gives it a slot. ctx is the
// call's own context, for Lua, fetch and secrets.get alike: cancel ends it
// at the time limit (the clock stops while the call waits on the network,
// so a fetch is never cut by it) or when the memory guard stops the call.
// It is not cancelled when the call ends, since a fetched body may stream
// on it after. Any error means v must be discarded.
func (v *vm) run(ctx context.Context, cancel context.CancelCauseFunc, sc *script, call *Call, sl *slot) (res Result, err error) {
	cs := &callState{ctx: ctx, call: call, handler: sc.name, held: &v.held}
	cs.budget.start(v.cfg.timeout, cancel)
	cs.budget.slot, cs.budget.ctx = sl, ctx
	if err := sl.acquire(ctx); err != nil {
		cs.budget.timer.Stop()
		if context.Cause(ctx) == errTimeLimit {
			sl.t.timeouts.Add(1)
		}
		return Result{}, cs.slotError(ctx, v.cfg)
	}
	v.cur = cs
	cs.lctx.Context, cs.lctx.last = ctx, time.Now()
	v.L.SetContext(&cs.lctx)
	defer func() {
		if r := recover(); r != nil {
			res, err = Result{}, cs.fail(fmt.Errorf("panic: %v", r))
		}
		cs.budget.timer.Stop()
		v.L.RemoveContext()
		if err == nil { // a failed state is discarded as it is
			v.L.SetTop(0)
		}
		v.cur = nil
		cs.end(res.Response)
	}()
	ret, lerr := v.callHandler(sc, cs)
	cs.budget.timer.Stop() // from here the time limit cannot cut a returned body
	if herr := cs.limitError(ctx, lerr, v.cfg); herr != nil {
		return Result{}, herr
	}
	if lerr != nil {
		return Result{}, cs.callError(lerr)
	}
	return cs.result(ret)
}

func (v *vm) callHandler(sc *script, cs *callState) (lua.LValue, error) {
	fn, err := v.handler(sc.proto)
	if err != nil {
		return nil, err
	}
	L := v.L
	L.Push(fn)
	L.Push(v.newReq(cs))
	L.Push(v.newCtx(cs))
	if err := L.PCall(2, 1, nil); err != nil {
		return nil, err
	}
	ret := L.Get(-1)
	L.Pop(1)
	return ret, nil
}

// callError maps a Lua error that ended the handler.
func (cs *callState) callError(err error) error {
	if cs.ctx.Err() != nil {
		return &HandlerError{Handler: cs.handler, Err: fmt.Errorf("call abandoned: %w", context.Cause(cs.ctx))}
	}
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if ferr := cs.fetchErrorFor(ae.Object); ferr != nil {
			return &FetchError{Handler: cs.handler, Err: cs.redactError(ferr)}
		}
	}
	return cs.fail(err)
}

// fetchErrorFor returns the transport error behind msg when msg is (or
// carries) the message of an error fetch raised.
func (cs *callState) fetchErrorFor(obj lua.LValue) error {
	msg, ok := obj.(lua.LString)
	if !ok {
		return nil
	}
	for i := len(cs.fetchErrs) - 1; i >= 0; i-- {
		if strings.Contains(string(msg), cs.fetchErrs[i].msg) {
			return cs.fetchErrs[i].err
		}
	}
	return nil
}

// fail builds the HandlerError of the call, with secrets redacted.
func (cs *callState) fail(err error) error {
	return &HandlerError{Handler: cs.handler, Err: errors.New(cs.redact(err.Error()))}
}

// redactError keeps err (so errors.Is and As work on it) unless its text
// carries a secret, in which case the text is redacted around it.
func (cs *callState) redactError(err error) error {
	if msg := err.Error(); cs.redact(msg) != msg {
		return &redactedError{msg: cs.redact(msg), err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact replaces by [redacted] every secret value the state has handed
// to a script, in this call or an earlier one.
func (cs *callState) redact(s string) string { return cs.held.redact(s) }

func (cs *callState) addSecrets(vals ...string) {
	cs.secretVals = append(cs.secretVals, vals...)
	for _, v := range vals {
		cs.held.add(v)
	}
}

// result turns the handler's return value into a Result.
func (cs *callState) result(ret lua.LValue) (Result, error) {
	if ud, ok := ret.(*lua.LUserData); ok {
		switch o := ud.Value.(type) {
		case *resObj:
			if o.cs == cs {
				// The sandbox's request, not the outgoing one with its
				// injected credentials.
				resp := o.result()
				resp.Request = cs.call.Request
				return Result{Response: resp, Fetched: o.fetched, Secrets: cs.secretVals}, nil
			}
		case *denyObj:
			return Result{Deny: true, Reason: o.reason, Secrets: cs.secretVals}, nil
		}
	}
	return Result{}, cs.fail(fmt.Errorf("handler returned %s, want a response from fetch, response{} or deny()", ret.Type()))
}

// end closes every response body the handler did not return and retires the
// call's objects.
func (cs *callState) end(returned *http.Response) {
	cs.done = true
	if cs.req != nil {
		cs.req.cs = nil
	}
	for _, o := range cs.responses {
		if o.resp != returned && o.resp.Body != nil {
			o.resp.Body.Close()
		}
		o.cs = nil
	}
}

// where is the first line of a Lua error (its position), for time-outs.
func where(err error) string {
	var ae *lua.ApiError
	if !errors.As(err, &ae) {
		return ""
	}
	msg, _, _ := strings.Cut(ae.Object.String(), "\n")
	if pos, _, ok := strings.Cut(msg, ": "); ok && pos != "" {
		return " (at " + pos + ")"
	}
	return ""
}
