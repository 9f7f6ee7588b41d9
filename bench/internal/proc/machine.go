package proc

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

// MachineBusy is the CPU time all cores of the machine have spent not idle
// (user, nice, system, irq, softirq, steal from the first line of
// /proc/stat). Compared with the processes a benchmark knows, it shows how
// much CPU something else took during a measurement.
func MachineBusy() time.Duration {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0
	}
	var ticks uint64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		n, _ := strconv.ParseUint(fields[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * clockTick
}
