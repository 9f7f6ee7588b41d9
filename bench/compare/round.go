package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/sandgate/sandgate/bench/internal/proc"
	"github.com/sandgate/sandgate/bench/internal/systems"
)

// target is what every round loads.
type target struct {
	URL    string
	Secret string
	// AuxPID is a process whose CPU is reported beside the proxy's for
	// systems that use it (Vault for sandgate-vault); 0 for none.
	AuxPID map[string]int
}

// runRound runs the load generator once against sys and reads the proxy's
// CPU time at the moments counting starts and ends.
func (b *bench) runRound(ctx context.Context, sys *systems.System, shape string, round int) Round {
	r := Round{Shape: shape, Round: round, System: sys.Key}
	cmd := exec.CommandContext(ctx, b.loadgen, b.loadArgs(sys, shape)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		r.Failure = err.Error()
		return r
	}
	var sampler *proc.Sampler
	if sys.PID > 0 {
		sampler = proc.Sample(sys.PID, 100*time.Millisecond)
	}
	if err := cmd.Start(); err != nil {
		r.Failure = err.Error()
		return r
	}
	aux := b.target.AuxPID[sys.Key]
	var cpu0, cpu1, sys0, sys1, aux0, aux1 time.Duration
	var known0, known1, busy0, busy1 time.Duration // for the CPU nobody in the benchmark used
	known := func() time.Duration { return proc.OwnCPU(cmd.Process.Pid) + proc.OwnCPU(os.Getpid()) }
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "phase measure":
			busy0, aux0, known0 = proc.MachineBusy(), cpuOf(aux), known()
			cpu0, sys0 = cpuSplitOf(sys.PID)
		case line == "phase done":
			busy1, aux1, known1 = proc.MachineBusy(), cpuOf(aux), known()
			cpu1, sys1 = cpuSplitOf(sys.PID)
		case strings.HasPrefix(line, "result "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "result ")), &r.Load); err != nil {
				r.Failure = "parsing the result: " + err.Error()
			}
		}
	}
	err = cmd.Wait()
	if sampler != nil {
		r.PeakRSS = sampler.Stop()
		r.HWM = proc.Mem(sys.PID).HWM
	}
	if r.Load.Requests == 0 && r.Failure == "" {
		r.Failure = fmt.Sprintf("loadgen: %v: %s", err, strings.TrimSpace(stderr.String()))
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

func (b *bench) loadArgs(sys *systems.System, shape string) []string {
	args := []string{"-url", b.target.URL, "-cacert", sys.CAFile, "-header", systems.Header, "-want", b.target.Secret,
		"-c", strconv.Itoa(b.conc), "-warmup", b.warmup.String(), "-d", b.duration.String(),
		"-n", strconv.Itoa(b.maxReq), "-keepalive=" + strconv.FormatBool(shape == "keepalive")}
	if sys.Proxy != nil {
		args = append(args, "-proxy", sys.Proxy.String())
	}
	if sys.Send != "" {
		args = append(args, "-send", sys.Send)
	}
	return args
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
