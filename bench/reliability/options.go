package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Options is one run: where things are, which phases run, and the sizes and
// durations of each. The defaults are the full run (under 15 minutes on 2
// cores); tiny() is the one the test uses.
type Options struct {
	Bin      string        // the sandgate binary
	Repo     string        // the repository: scripts/ and the fuzz targets
	Out      string        // the Markdown report ("" : none)
	JSON     string        // the results file ("" : none)
	Work     string        // scratch directory ("" : a temporary one, removed at the end)
	Phases   string        // comma-separated phase names, or "all"
	Deadline time.Duration // the whole run: a phase that cannot end before it is skipped (the soak is shortened)

	Probe     ProbeOptions
	Flood     FloodOptions
	Idle      IdleOptions
	Neighbour NeighbourOptions
	Reset     ResetOptions
	Bomb      BombOptions
	Fuzz      FuzzOptions
	Soak      SoakOptions
}

// phaseNames are the phases in the order they run.
var phaseNames = []string{"flood", "idle", "neighbour", "reset", "bomb", "fuzz", "soak"}

// wants reports whether the run includes phase name.
func (o *Options) wants(name string) bool {
	if o.Phases == "all" || o.Phases == "" {
		return true
	}
	for _, p := range strings.Split(o.Phases, ",") {
		if strings.TrimSpace(p) == name {
			return true
		}
	}
	return false
}

func (o *Options) check() error {
	for _, p := range strings.Split(o.Phases, ",") {
		p = strings.TrimSpace(p)
		if p != "all" && p != "" && !slices.Contains(phaseNames, p) {
			return fmt.Errorf("-phases: unknown phase %q (phases: %s)", p, strings.Join(phaseNames, ", "))
		}
	}
	if o.Bin == "" {
		return fmt.Errorf("-bin is required")
	}
	if o.Deadline <= 0 {
		return fmt.Errorf("-deadline must be positive: the run is bounded")
	}
	return nil
}

// register declares every option as a flag on fs, with the full run's
// defaults.
func (o *Options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.Bin, "bin", "bin/sandgate", "the sandgate binary")
	fs.StringVar(&o.Repo, "repo", ".", "the repository (scripts/, fuzz targets)")
	fs.StringVar(&o.Out, "out", "RELIABILITY.md", "the report to write (empty: none)")
	fs.StringVar(&o.JSON, "json", "bench/results/reliability.json", "the results file to write (empty: none)")
	fs.StringVar(&o.Work, "work", "", "scratch directory, kept afterwards (default: a temporary one, removed)")
	fs.StringVar(&o.Phases, "phases", "all", "phases to run, comma-separated: "+strings.Join(phaseNames, ","))
	fs.DurationVar(&o.Deadline, "deadline", 14*time.Minute+30*time.Second, "bound of the whole run (make reliability builds first)")
	o.Probe.register(fs)
	o.Flood.register(fs)
	o.Idle.register(fs)
	o.Neighbour.register(fs)
	o.Reset.register(fs)
	o.Bomb.register(fs)
	o.Fuzz.register(fs)
	o.Soak.register(fs)
}

// flags lists the options that differ from the defaults, as flags: the
// exact command of the report.
func flagsSet(fs *flag.FlagSet) []string {
	var out []string
	fs.Visit(func(f *flag.Flag) { out = append(out, "-"+f.Name+"="+f.Value.String()) })
	return out
}

// ProbeOptions is how every phase measures "another sandbox": an ordinary
// client at a fixed request rate, not one that takes all the CPU it can.
type ProbeOptions struct {
	Rate        float64 // requests a second
	Concurrency int     // in flight at most
}

func (o *ProbeOptions) register(fs *flag.FlagSet) {
	fs.Float64Var(&o.Rate, "probe-rate", 100, "requests a second of the sandbox each phase measures (flood's victim, idle's other, neighbour's B, bomb's bystander)")
	fs.IntVar(&o.Concurrency, "probe-c", 64, "requests in flight at most of that sandbox")
}
