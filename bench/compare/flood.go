package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/proc"
	"github.com/sandgate/sandgate/bench/internal/systems"
)

// The flood starts floodLead before the measured load and is bounded to
// end floodTail after the measured load's bounds, so it covers the whole
// measured load.
const (
	floodLead = 500 * time.Millisecond
	floodTail = time.Second
)

// flood is a load generator flooding the gateway as another sandbox:
// floodConc keep-alive connections, no pause.
type flood struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
	res    load.Result
	fail   string
}

func (b *bench) startFlood(ctx context.Context, sys *systems.System, bd bounds) (*flood, error) {
	l := leg{sys: sys, mode: load.ModeEcho, url: b.target.URL, conc: floodConc, keepAlive: true}
	d := floodLead + bd.warmup + bd.duration + floodTail
	f := &flood{done: make(chan struct{})}
	f.cmd = exec.CommandContext(ctx, b.loadgen, b.loadArgs(l, bounds{duration: d, n: 1 << 30})...)
	f.cmd.Stderr = &f.stderr
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := f.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		defer close(f.done)
		readResult(stdout, &f.res, &f.fail, nil)
	}()
	select {
	case <-time.After(floodLead):
	case <-ctx.Done():
	}
	return f, nil
}

// wait waits for the flood to end and returns what it measured; a flood
// that could not run is noted in failure.
func (f *flood) wait(failure *string) *load.Result {
	<-f.done
	err := f.cmd.Wait()
	if f.fail != "" && *failure == "" {
		*failure = "flood: " + f.fail
	}
	if f.res.Requests == 0 && *failure == "" {
		*failure = "flood: " + errString(err) + ": " + strings.TrimSpace(f.stderr.String())
	}
	return &f.res
}

// stop ends the flood at once (the measured load could not run); nil: no
// flood.
func (f *flood) stop() {
	if f == nil {
		return
	}
	_ = f.cmd.Process.Kill()
	<-f.done
	_ = f.cmd.Wait()
}

// ownCPU is the flooding load generator's CPU time; 0 without a flood.
func (f *flood) ownCPU() time.Duration {
	if f == nil {
		return 0
	}
	return proc.OwnCPU(f.cmd.Process.Pid)
}

func errString(err error) string {
	if err == nil {
		return "no result"
	}
	return err.Error()
}
