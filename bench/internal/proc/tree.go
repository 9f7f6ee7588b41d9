package proc

import (
	"bytes"
	"os"
	"strconv"
)

// Tree returns pid and all its live descendants.
func Tree(pid int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(p); err == nil {
			children[st.ppid] = append(children[st.ppid], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// stat is the part of /proc/<pid>/stat this package uses.
type stat struct {
	ppid  int
	ticks uint64 // utime + stime + cutime + cstime
	sys   uint64 // stime + cstime: time in the kernel
	own   uint64 // utime + stime
}

// readStat parses /proc/<pid>/stat. The command name (field 2) may hold
// spaces and parentheses, so fields are counted after its last ')'.
func readStat(pid int) (stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	return parseStat(b)
}

func parseStat(b []byte) (stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, os.ErrInvalid
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return stat{}, os.ErrInvalid
	}
	num := func(k int) uint64 { n, _ := strconv.ParseUint(string(f[k-3]), 10, 64); return n }
	own := num(14) + num(15)
	return stat{ppid: int(num(4)), own: own, ticks: own + num(16) + num(17), sys: num(15) + num(17)}, nil
}
