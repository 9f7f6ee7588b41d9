package policytest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/ratelimit"
)

// fileRun is one test file: its Lua state, its handlers and its tests.
type fileRun struct {
	r     *runner
	path  string // as given
	base  string // FILE in "FILE/NAME" and in "FILE:LINE"
	h     *engine.Harness
	hs    *handlers
	tests []testCase
	// Per test: the rate limit buckets of each sandbox, and a counter for
	// request ids.
	buckets map[string]*ratelimit.Buckets
	runs    int
	running bool
}

// testCase is one test(name, fn).
type testCase struct {
	name string
	fn   *lua.LFunction
	line int // where test() was called
}

func (r *runner) runFile(path string) {
	hs := r.handlersFor(path)
	if hs == nil {
		return // reported with the handlers' folder
	}
	src, err := os.ReadFile(path)
	if err != nil {
		r.broken(fmt.Errorf("policytest: %w", err))
		return
	}
	f := &fileRun{r: r, path: path, base: filepath.Base(path), hs: hs}
	f.h = engine.NewHarness(f.harnessOptions())
	defer f.h.Close()
	f.install()
	if err := f.h.Load(src, f.base); err != nil {
		var se *engine.ScriptError
		if errors.As(err, &se) {
			se.File = path
		}
		r.broken(err)
		return
	}
	for _, tc := range f.tests {
		if r.opts.Run == nil || r.opts.Run.MatchString(f.base+"/"+tc.name) {
			f.runTest(tc)
		}
	}
}

func (f *fileRun) harnessOptions() engine.Options {
	opts := engine.Options{Logger: newLogger(f.r.logs), Transport: noFetch{}}
	if cfg := f.hs.cfg; cfg != nil {
		opts.MaxBodyBytes = cfg.Limits.MaxBodyBytes.Bytes
		opts.MaxStringBytes = int(cfg.Limits.MaxStringBytes.Bytes)
	}
	return opts
}

// install adds test, run and eq to the file's globals.
func (f *fileRun) install() {
	L := f.h.LState()
	f.h.SetGlobal("test", L.NewFunction(f.luaTest))
	f.h.SetGlobal("run", L.NewFunction(f.luaRun))
	f.h.SetGlobal("eq", L.NewFunction(luaEq))
}

// luaTest is test(name, fn): it declares a test, run after the file loads.
func (f *fileRun) luaTest(L *lua.LState) int {
	name := L.CheckString(1)
	fn := L.CheckFunction(2)
	switch {
	case f.running:
		L.RaiseError("test(%q): tests are declared at a file's top level, not inside a test", name)
	case name == "":
		L.RaiseError("test: a test needs a name")
	}
	for _, tc := range f.tests {
		if tc.name == name {
			L.RaiseError("test(%q): declared twice (first on line %d)", name, tc.line)
		}
	}
	f.tests = append(f.tests, testCase{name: name, fn: fn, line: callerLine(L)})
	return 0
}

// runTest runs one test and reports it.
func (f *fileRun) runTest(tc testCase) {
	f.r.logs.Reset()
	f.buckets, f.runs, f.running = map[string]*ratelimit.Buckets{}, 0, true
	L := f.h.LState()
	ctx, cancel := context.WithTimeout(context.Background(), f.r.opts.TestTimeout)
	L.SetContext(ctx)
	start := time.Now()
	err := L.CallByParam(lua.P{Fn: tc.fn, NRet: 0, Protect: true})
	elapsed := time.Since(start)
	timedOut := ctx.Err() != nil
	L.RemoveContext()
	cancel()
	f.running = false
	msg := ""
	switch {
	case timedOut:
		msg = fmt.Sprintf("%s:%d: test did not finish within %v", f.base, tc.line, f.r.opts.TestTimeout)
	case err != nil:
		msg = withPosition(luaMessage(err), f.base, tc.line)
	}
	f.r.report(f.base+"/"+tc.name, elapsed, msg)
}

// callerLine is the line of the Lua code calling the current Go function.
func callerLine(L *lua.LState) int {
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("l", dbg, lua.LNil); err == nil {
			return dbg.CurrentLine
		}
	}
	return 0
}

// noFetch is the network of a test file itself: none.
type noFetch struct{}

func (noFetch) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("a test file cannot fetch; a handler run with run(handler, request, {upstream = ...}) can")
}
