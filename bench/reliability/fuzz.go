package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FuzzOptions sizes the fuzzing phase.
type FuzzOptions struct {
	Time    time.Duration // fuzzing time of each target; 0: run each to Execs
	Limit   time.Duration // with Time 0, how long a target may take to reach Execs
	Build   time.Duration // allowance for building a target's instrumented test binary
	Match   string        // regexp on "importpath.FuzzName"; "" : every target
	Execs   int64         // the target number of execs per target
	Workers int           // go test -parallel (0: GOMAXPROCS)

	found []fuzzTarget // listed by list, before the run's phases start
	err   error
}

// list finds the targets once: their number sizes the phase's estimate.
func (o *FuzzOptions) list(ctx context.Context, repo string) {
	var match *regexp.Regexp
	if o.Match != "" {
		if match, o.err = regexp.Compile(o.Match); o.err != nil {
			o.err = fmt.Errorf("-fuzz-match: %w", o.err)
			return
		}
	}
	o.found, o.err = findFuzzTargets(ctx, repo, match)
	if o.err == nil && len(o.found) == 0 {
		o.err = errors.New("no fuzz target found")
	}
}

func (o *FuzzOptions) register(fs *flag.FlagSet) {
	fs.DurationVar(&o.Time, "fuzz-time", 5*time.Second, "fuzz: fuzzing time of each target (go test -fuzztime); 0: run each target to -fuzz-execs execs")
	fs.DurationVar(&o.Limit, "fuzz-limit", 20*time.Minute, "fuzz: with -fuzz-time 0, how long one target may take to reach -fuzz-execs")
	fs.DurationVar(&o.Build, "fuzz-build", 3*time.Minute, "fuzz: allowance per target for building its test binary; past it the run of that target is stopped")
	fs.StringVar(&o.Match, "fuzz-match", "", "fuzz: regexp on importpath.FuzzName (default: every target)")
	fs.Int64Var(&o.Execs, "fuzz-execs", 1000000, "fuzz: target execs per target")
	fs.IntVar(&o.Workers, "fuzz-workers", 0, "fuzz: go test -parallel (0: GOMAXPROCS)")
}

// estimate allows each target about 15 s for building its instrumented
// test binary (warm cache) and gathering its baseline coverage. A run to a
// number of execs is not known in advance: it counts the overhead only.
func (o *FuzzOptions) estimate() time.Duration {
	return time.Duration(len(o.found))*(o.Time+fuzzOverhead) + 2*time.Second
}

// toExecs reports whether each target runs to o.Execs execs, not for a time.
func (o *FuzzOptions) toExecs() bool { return o.Time == 0 }

// fuzztime is go test's -fuzztime: a duration, or a count of execs ("1000000x").
func (o *FuzzOptions) fuzztime() string {
	if o.toExecs() {
		return fmt.Sprintf("%dx", o.Execs)
	}
	return o.Time.String()
}

// bound is how long one target's run may take, its build allowance included.
func (o *FuzzOptions) bound() time.Duration {
	if o.toExecs() {
		return o.Limit + o.Build
	}
	return o.Time + o.Build
}

const fuzzOverhead = 15 * time.Second

// FuzzResult is the fuzzing phase's figures.
type FuzzResult struct {
	Options FuzzOptions `json:"options"`
	Targets []FuzzRun   `json:"targets"`
}

// FuzzRun is one target's run.
type FuzzRun struct {
	fuzzTarget
	Status  string  `json:"status"` // ok, crash, error (the run failed for another reason, Detail says)
	Execs   int64   `json:"execs"`
	Seconds float64 `json:"fuzz_seconds"` // the last "elapsed" go test printed
	Rate    float64 `json:"execs_per_second"`
	Crashes int     `json:"crashes"` // go test stops at the first
	Input   string  `json:"failing_input,omitempty"`
	Detail  string  `json:"detail,omitempty"`
	Wall    float64 `json:"wall_seconds"` // build included
}

// fuzzPhase runs every fuzz target of the repository for a fixed time.
func fuzzPhase(ctx context.Context, e *env, p *Phase) error {
	o := e.opts.Fuzz
	if o.err != nil {
		return o.err
	}
	r := &FuzzResult{Options: o}
	p.Data = r
	for i, t := range o.found {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < o.Time+fuzzOverhead {
			p.Notes = append(p.Notes, fmt.Sprintf("%d of %d targets not run: no time left before the run's deadline", len(o.found)-i, len(o.found)))
			break
		}
		e.progress("%d/%d: %s %s, -fuzztime %s", i+1, len(o.found), t.Pkg, t.Name, o.fuzztime())
		run := e.fuzzOne(ctx, t)
		e.progress("%s: %s, %d execs (%.0f/s)", t.Name, run.Status, run.Execs, run.Rate)
		r.Targets = append(r.Targets, run)
	}
	p.Targets = r.targets()
	return nil
}

// fuzzOne runs go test -fuzz for one target in its own process group, so
// that a target past its time can be stopped with its fuzzing workers.
func (e *env) fuzzOne(ctx context.Context, t fuzzTarget) FuzzRun {
	o := e.opts.Fuzz
	ctx, cancel := context.WithTimeout(ctx, o.bound())
	defer cancel()
	args := []string{"test", "-run", "^$", "-fuzz", "^" + t.Name + "$", "-fuzztime", o.fuzztime()}
	if o.Workers > 0 {
		args = append(args, "-parallel", strconv.Itoa(o.Workers))
	}
	cmd := exec.CommandContext(ctx, "go", append(args, t.Pkg)...)
	cmd.Dir = e.opts.Repo
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	run := parseFuzzOutput(out.String(), err)
	run.fuzzTarget, run.Wall = t, time.Since(start).Seconds()
	if ctx.Err() == context.DeadlineExceeded && run.Status != "crash" {
		run.Status, run.Detail = "error", fmt.Sprintf("stopped after %s (build allowance %s)", o.bound(), o.Build)
	}
	logFile := filepath.Join(e.work, "fuzz-"+t.Name+".log")
	_ = os.WriteFile(logFile, out.Bytes(), 0o644)
	return run
}

var (
	execsLine   = regexp.MustCompile(`fuzz: elapsed: (\S+), execs: (\d+) `)
	failingLine = regexp.MustCompile(`Failing input written to (\S+)`)
)

// parseFuzzOutput reads go test -fuzz's output: the last execs line, and a
// failure with its input file.
func parseFuzzOutput(out string, err error) FuzzRun {
	var run FuzzRun
	if m := execsLine.FindAllStringSubmatch(out, -1); len(m) > 0 {
		last := m[len(m)-1]
		// go test prints a time.Duration rounded to the second: "6s", "1m42s".
		if d, err := time.ParseDuration(last[1]); err == nil {
			run.Seconds = d.Seconds()
		}
		run.Execs, _ = strconv.ParseInt(last[2], 10, 64)
		if run.Seconds > 0 {
			run.Rate = float64(run.Execs) / run.Seconds
		}
	}
	switch {
	case err == nil:
		run.Status = "ok"
	case strings.Contains(out, "--- FAIL: Fuzz"):
		run.Status, run.Crashes = "crash", 1
		if m := failingLine.FindStringSubmatch(out); m != nil {
			run.Input = m[1]
		}
		run.Detail = failureLines(out)
	default:
		run.Status, run.Detail = "error", lastLines(out, 5)
	}
	return run
}

// failureLines is the first lines after "--- FAIL", which say what failed.
func failureLines(out string) string {
	i := strings.Index(out, "--- FAIL: Fuzz")
	return lastLines(firstLines(out[i:], 8), 8)
}

func (r *FuzzResult) targets() []Target {
	var out []Target
	for _, t := range r.Targets {
		got := fmt.Sprintf("%s execs in %.0f s (%.0f/s), %d crashes", thousands(t.Execs), t.Seconds, t.Rate, t.Crashes)
		what := fmt.Sprintf("%s.%s: 0 crashes in %s execs", shortPkg(t.Pkg), t.Name, thousands(r.Options.Execs))
		met := t.Status == "ok" && t.Crashes == 0 && t.Execs >= r.Options.Execs
		if !r.Options.toExecs() {
			// A timed run shows no crash in its time; the count is make fuzz's.
			what = fmt.Sprintf("%s.%s: 0 crashes in %s (the %s-exec run is make fuzz)", shortPkg(t.Pkg), t.Name, r.Options.Time, thousands(r.Options.Execs))
			met = t.Status == "ok" && t.Crashes == 0
		}
		if t.Execs < r.Options.Execs && t.Rate > 0 {
			got += fmt.Sprintf("; %s would take %s at that rate", thousands(r.Options.Execs),
				(time.Duration(float64(r.Options.Execs)/t.Rate) * time.Second).Round(time.Second))
		}
		if t.Status == "error" {
			got = "did not run: " + firstLines(t.Detail, 1)
		}
		out = append(out, Target{What: what, Got: got, Met: met})
	}
	return out
}

// shortPkg drops the module path.
func shortPkg(p string) string { return strings.TrimPrefix(p, "github.com/sandgate/sandgate/") }
