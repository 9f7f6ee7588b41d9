package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Machine is what the report says of the host and the software measured.
type Machine struct {
	CPUs      int        `json:"cpus"`
	CPUModel  string     `json:"cpu_model"`
	Memory    string     `json:"memory"`
	Kernel    string     `json:"kernel"`
	Go        string     `json:"go"`
	Sandgate  string     `json:"sandgate"` // `sandgate version`
	Commit    string     `json:"commit"`   // of the repository
	NoFile    string     `json:"nofile"`   // this program's open-file limit (soft/hard)
	PortRange string     `json:"port_range"`
	LoadStart [3]float64 `json:"load_average_start"`
}

func machine(bin, repo string) Machine {
	return Machine{
		CPUs:      runtime.NumCPU(),
		CPUModel:  procField("/proc/cpuinfo", "model name"),
		Memory:    procField("/proc/meminfo", "MemTotal"),
		Kernel:    firstLine("/proc/sys/kernel/osrelease"),
		Go:        runtime.Version(),
		Sandgate:  output(bin, "", "version"),
		Commit:    output("git", repo, "describe", "--always", "--dirty"),
		NoFile:    noFile(),
		PortRange: strings.Join(strings.Fields(firstLine("/proc/sys/net/ipv4/ip_local_port_range")), "-"),
		LoadStart: loadAvg(),
	}
}

// loadAvg is the 1, 5 and 15 minute load average.
func loadAvg() [3]float64 {
	var l [3]float64
	f := strings.Fields(firstLine("/proc/loadavg"))
	for i := 0; i < 3 && i < len(f); i++ {
		l[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return l
}

// procField is the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// output runs a short command in dir and returns its first line.
func output(name, dir string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}

// noFile is the open-file limit of this program (soft/hard); Go raises the
// soft limit to the hard one at start, for the gateway too.
func noFile() string {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%d/%d", r.Cur, r.Max)
}
