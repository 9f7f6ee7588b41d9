package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/sandgate/sandgate/bench/internal/proc"
)

// phase is one measurement of the run.
type phase struct {
	name, title string
	estimate    func(*Options) time.Duration
	run         func(ctx context.Context, e *env, p *Phase) error
}

// phases are the run's measurements in order (phaseNames holds their names).
var phases = []phase{
	{"flood", "Trickle flood before authentication", func(o *Options) time.Duration { return o.Flood.estimate() }, floodPhase},
	{"idle", "Idle keep-alive connections", func(o *Options) time.Duration { return o.Idle.estimate() }, idlePhase},
	{"neighbour", "Noisy neighbour", func(o *Options) time.Duration { return o.Neighbour.estimate() }, neighbourPhase},
	{"reset", "HTTP/2 rapid reset", func(o *Options) time.Duration { return o.Reset.estimate() }, resetPhase},
	{"bomb", "Memory bomb", func(o *Options) time.Duration { return o.Bomb.estimate() }, bombPhase},
	{"fuzz", "Fuzzing", func(o *Options) time.Duration { return o.Fuzz.estimate() }, fuzzPhase},
	{"soak", "Soak with script swaps", func(o *Options) time.Duration { return o.Soak.estimate() }, soakPhase},
}

// runAll runs the wanted phases within o.Deadline. Each phase gets a
// deadline that leaves the later phases their estimated time; a phase that
// cannot fit is skipped, except the soak, which is shortened (and says so).
func runAll(ctx context.Context, o *Options, log io.Writer, command string) (*Results, error) {
	e, err := newEnv(o, log)
	if err != nil {
		return nil, err
	}
	defer e.close()
	res := &Results{Date: e.start.Format(time.RFC3339), Command: command, Machine: machine(o.Bin, o.Repo)}
	end := e.start.Add(o.Deadline)
	if o.wants("fuzz") {
		o.Fuzz.list(ctx, o.Repo)
	}
	wanted := wantedPhases(o)
	for i, ph := range wanted {
		p := &Phase{Name: ph.name, Title: ph.title}
		res.Phases = append(res.Phases, p)
		e.setPhase(ph.name)
		later := laterEstimate(o, wanted[i+1:])
		phaseEnd := end.Add(-later)
		if ph.name == "soak" {
			fitSoak(o, p, time.Until(phaseEnd))
		}
		if need := ph.estimate(o); time.Now().Add(need).After(phaseEnd) {
			p.Status = "skipped"
			p.Error = fmt.Sprintf("needs about %s; %s were left for it within the run's -deadline %s, the later phases' time kept",
				need.Round(time.Second), max(time.Until(phaseEnd), 0).Round(time.Second), o.Deadline)
			e.progress("%s skipped: %s", ph.name, p.Error)
			continue
		}
		pctx, cancel := context.WithDeadline(ctx, phaseEnd)
		runPhase(pctx, e, ph, p)
		cancel()
		if ctx.Err() != nil {
			break
		}
	}
	e.setPhase("end")
	res.Seconds = time.Since(e.start).Seconds()
	res.LoadEnd = loadAvg()
	return res, nil
}

func wantedPhases(o *Options) []phase {
	var out []phase
	for _, ph := range phases {
		if o.wants(ph.name) {
			out = append(out, ph)
		}
	}
	return out
}

// laterEstimate is the time the phases after this one need: for the soak,
// which can be shortened, only its shortest.
func laterEstimate(o *Options, later []phase) time.Duration {
	var d time.Duration
	for _, ph := range later {
		if ph.name == "soak" {
			d += min(ph.estimate(o), o.Soak.estimate()-o.Soak.Duration+minSoak)
			continue
		}
		d += ph.estimate(o)
	}
	return d
}

// minSoak is the shortest soak worth running.
const minSoak = time.Minute

// fitSoak shortens the soak to the time left (at least minSoak), and
// notes that it did.
func fitSoak(o *Options, p *Phase, left time.Duration) {
	need := o.Soak.estimate()
	if need <= left {
		return
	}
	short := (left - (need - o.Soak.Duration)).Truncate(time.Second)
	if short < minSoak {
		return // skipped by the caller
	}
	p.Notes = append(p.Notes, fmt.Sprintf("shortened from %s to %s to end within the run's -deadline", o.Soak.Duration, short))
	o.Soak.Duration = short
}

// runPhase runs one phase, records its conditions and turns a failure or a
// panic of the harness into the phase's status.
func runPhase(ctx context.Context, e *env, ph phase, p *Phase) {
	p.LoadStart = loadAvg()
	busy0, t0 := proc.MachineBusy(), time.Now()
	e.progress("start (about %s)", ph.estimate(e.opts).Round(time.Second))
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("the harness panicked: %v\n%s", v, debug.Stack())
			}
		}()
		return ph.run(ctx, e, p)
	}()
	elapsed := time.Since(t0)
	p.Seconds = elapsed.Seconds()
	p.LoadEnd = loadAvg()
	p.BusyCores = (proc.MachineBusy() - busy0).Seconds() / elapsed.Seconds()
	p.Status = "ran"
	if err != nil {
		p.Status, p.Error = "failed", e.red.clean(err.Error())
		e.progress("failed: %v", p.Error)
	} else if ctx.Err() != nil {
		p.Notes = append(p.Notes, "cut short at its deadline")
	}
	for _, t := range p.Targets {
		e.progress("%s: %s: %s", metText(t.Met), t.What, t.Got)
	}
	e.progress("done in %.0fs (%.1f of %d cores busy)", p.Seconds, p.BusyCores, runtime.NumCPU())
}

func metText(met bool) string {
	if met {
		return "met"
	}
	return "missed"
}
