package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/proc"
	"github.com/sandgate/sandgate/bench/internal/systems"
)

// target is what every round loads.
type target struct {
	URL   string // the echo, HTTP/1.1
	H2URL string // the echo of the upstream that offers HTTP/2 too
	WSURL string // the WebSocket echo
	// BlobURL is the scrub shape's body, BlobValues the file of the secret
	// values in it (blobValues the values).
	BlobURL, BlobValues string
	blobValues          []string
	Secret              string
	// AuxPID is a process whose CPU is reported beside the proxy's for
	// systems that use it (Vault for sandgate-vault); 0 for none.
	AuxPID map[string]int
}

// bounds are one load's time and count bounds and, if not 0, its
// concurrency.
type bounds struct {
	warmup, duration time.Duration
	n, conc          int
}

func (b *bench) roundBounds() bounds {
	return bounds{warmup: b.warmup, duration: b.duration, n: b.maxReq}
}

// runRound runs the load generator once for l and reads the proxy's CPU
// time at the moments counting starts and ends.
func (b *bench) runRound(ctx context.Context, l leg, shape string, round int) Round {
	r := b.measure(ctx, l, b.roundBounds(), Round{Shape: shape, Round: round, System: l.sys.Key, Variant: l.variant})
	if l.mode == load.ModeBlob && r.Load.Redacted > 0 && r.Load.Intact > 0 {
		r.Failure = fmt.Sprintf("%d responses came scrubbed and %d not", r.Load.Redacted, r.Load.Intact)
	}
	return r
}

// measure runs the load generator for l within bd and fills r; a flooding
// sandbox, if l has one, floods the gateway from before the warm-up to
// after the last counted request.
func (b *bench) measure(ctx context.Context, l leg, bd bounds, r Round) Round {
	sys := l.sys
	var fl *flood
	if l.flood != nil {
		var err error
		if fl, err = b.startFlood(ctx, l.flood, bd); err != nil {
			r.Failure = "starting the flood: " + err.Error()
			return r
		}
	}
	cmd := exec.CommandContext(ctx, b.loadgen, b.loadArgs(l, bd)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fl.stop()
		r.Failure = err.Error()
		return r
	}
	var sampler *proc.Sampler
	if sys.PID > 0 {
		sampler = proc.Sample(sys.PID, 100*time.Millisecond)
	}
	if err := cmd.Start(); err != nil {
		fl.stop()
		if sampler != nil {
			sampler.Stop()
		}
		r.Failure = err.Error()
		return r
	}
	aux := b.target.AuxPID[sys.Key]
	var cpu0, cpu1, sys0, sys1, aux0, aux1 time.Duration
	var known0, known1, busy0, busy1 time.Duration // for the CPU nobody in the benchmark used
	known := func() time.Duration {
		return proc.OwnCPU(cmd.Process.Pid) + proc.OwnCPU(os.Getpid()) + fl.ownCPU()
	}
	readResult(stdout, &r.Load, &r.Failure, func(phase string) {
		switch phase {
		case "measure":
			busy0, aux0, known0 = proc.MachineBusy(), cpuOf(aux), known()
			cpu0, sys0 = cpuSplitOf(sys.PID)
		case "done":
			busy1, aux1, known1 = proc.MachineBusy(), cpuOf(aux), known()
			cpu1, sys1 = cpuSplitOf(sys.PID)
		}
	})
	err = cmd.Wait()
	if sampler != nil {
		r.PeakRSS = sampler.Stop()
		r.HWM = proc.Mem(sys.PID).HWM
	}
	if r.Load.Requests == 0 && r.Failure == "" {
		r.Failure = fmt.Sprintf("loadgen: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if fl != nil {
		r.Flood = fl.wait(&r.Failure)
	}
	r.CPUms = ms(cpu1 - cpu0)
	r.SysCPUms = ms(sys1 - sys0)
	r.AuxCPU = ms(aux1 - aux0)
	r.LoadCPU = ms(known1 - known0)
	r.MachineCPU = ms(busy1 - busy0)
	r.OtherCPU = max(0, r.MachineCPU-r.CPUms-r.AuxCPU-r.LoadCPU)
	if r.Load.Seconds > 0 {
		r.OtherCores = r.OtherCPU / 1000 / r.Load.Seconds
	}
	if r.Load.Requests > 0 {
		r.CPUReq = r.CPUms / float64(r.Load.Requests)
	}
	return r
}

// readResult reads the load generator's stdout: it calls onPhase at each
// "phase" line and parses the "result" line into res.
func readResult(stdout io.Reader, res *load.Result, failure *string, onPhase func(string)) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "phase "); ok && onPhase != nil {
			onPhase(p)
		} else if js, ok := strings.CutPrefix(line, "result "); ok {
			if err := json.Unmarshal([]byte(js), res); err != nil {
				*failure = "parsing the result: " + err.Error()
			}
		}
	}
}

func (b *bench) loadArgs(l leg, bd bounds) []string {
	conc := l.conc
	if bd.conc > 0 {
		conc = bd.conc
	}
	args := []string{"-mode", l.mode, "-url", l.url, "-cacert", l.sys.CAFile, "-header", systems.Header, "-want", b.target.Secret,
		"-c", strconv.Itoa(conc), "-warmup", bd.warmup.String(), "-d", bd.duration.String(),
		"-n", strconv.Itoa(bd.n), "-keepalive=" + strconv.FormatBool(l.keepAlive)}
	if l.interval > 0 {
		args = append(args, "-interval", l.interval.String())
	}
	if l.expect != "" {
		args = append(args, "-expect", l.expect)
	}
	if l.sys.Proxy != nil {
		args = append(args, "-proxy", l.sys.Proxy.String())
	}
	if l.sys.Send != "" {
		args = append(args, "-send", l.sys.Send)
	}
	return append(args, l.extra...)
}

// cpuOf is the CPU time of pid's tree; 0 for pid 0.
func cpuOf(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	return proc.CPU(pid)
}

// cpuSplitOf is the CPU time of pid's tree and its system share; 0 for pid 0.
func cpuSplitOf(pid int) (total, sys time.Duration) {
	if pid == 0 {
		return 0, 0
	}
	return proc.CPUSplit(pid)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
