package proc

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports (sysconf(_SC_CLK_TCK) needs cgo).
const clockTick = 10 * time.Millisecond

// CPU is the CPU time (user + system) the tree of pid has used, including
// children it has reaped (helpers that exited).
func CPU(pid int) time.Duration {
	total, _ := CPUSplit(pid)
	return total
}

// CPUSplit is CPU and, of it, the system time: what the kernel spent on the
// tree's behalf (its syscalls: for a proxy on loopback, mostly the TCP work
// of its reads and writes).
func CPUSplit(pid int) (total, sys time.Duration) {
	var ticks, sysTicks uint64
	for _, p := range Tree(pid) {
		if st, err := readStat(p); err == nil {
			ticks += st.ticks
			sysTicks += st.sys
		}
	}
	return time.Duration(ticks) * clockTick, time.Duration(sysTicks) * clockTick
}

// OwnCPU is the CPU time of pid alone: no descendants, no reaped children.
func OwnCPU(pid int) time.Duration {
	st, err := readStat(pid)
	if err != nil {
		return 0
	}
	return time.Duration(st.own) * clockTick
}

// Memory is the tree's resident memory in bytes: RSS is the sum of VmRSS
// now, HWM the sum of each process's VmHWM (its own peak; the sum is an
// upper bound of the tree's peak).
type Memory struct {
	RSS, HWM uint64
}

// Mem reads the tree's memory.
func Mem(pid int) Memory {
	var m Memory
	for _, p := range Tree(pid) {
		rss, hwm := status(p)
		m.RSS += rss
		m.HWM += hwm
	}
	return m
}

// status returns VmRSS and VmHWM of pid in bytes.
func status(pid int) (rss, hwm uint64) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			rss = kB(line)
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			hwm = kB(line)
		}
	}
	return rss, hwm
}

// kB parses "VmRSS:	  12345 kB" into bytes.
func kB(line []byte) uint64 {
	f := bytes.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseUint(string(f[1]), 10, 64)
	return n * 1024
}
