package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// proxyCPU is a row's proxy CPU per request with its kernel share; "-" for
// direct.
func proxyCPU(key string, s *Summary) string {
	if key == keyDirect {
		return "-"
	}
	if s.SysReq > 0 {
		return fmt.Sprintf("%s (%s)", num(s.CPUReq), num(s.SysReq))
	}
	return num(s.CPUReq)
}

// problems lists the errors and failures of keys in shapes.
func problems(w writer, r Results, sum map[[2]string]*Summary, shapes, keys []string) {
	n := names(r)
	listed := false
	for _, shape := range shapes {
		for _, k := range keys {
			s, ok := sum[[2]string{k, shape}]
			if !ok || (s.Errors == 0 && s.WarmupErrors == 0 && len(s.Failures) == 0) {
				continue
			}
			name := n[k]
			if name == "" {
				name = k
			}
			w("- %s, %s: %d errors (%d in warm-ups). %s\n", name, shape, s.Errors, s.WarmupErrors,
				strings.Join(append(slices.Clone(s.Failures), first(s.Samples, 3)...), "; "))
			listed = true
		}
	}
	if listed {
		w("\n")
	}
}

// busy says how busy the machine was while the shapes counted.
func busy(w writer, r Results, shapes ...string) {
	for _, shape := range shapes {
		b, other := machineLoad(r, shape)
		w("While counting (%s), the machine's %s cores were %.0f%% busy (median over rounds); processes outside the benchmark used at most %.2f of a core in any round.\n",
			shape, r.Machine["cores"], 100*b, other)
	}
	w("\n")
}

func perRound(xs []float64, format string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(out, ", ")
}

// roundFigures is f of each round of key in shape, in order.
func roundFigures(rounds []Round, key, shape string, f func(Round) float64) []float64 {
	var out []float64
	for _, r := range rounds {
		if r.Shape == shape && r.Key() == key {
			out = append(out, f(r))
		}
	}
	return out
}

// pairedBy is f of a's rounds over f of b's, round by round.
func pairedBy(rounds []Round, shape, a, b string, f func(Round) float64) string {
	by := map[[2]any]float64{}
	for _, r := range rounds {
		if r.Shape == shape {
			by[[2]any{r.Key(), r.Round}] = f(r)
		}
	}
	var out []string
	for i := 1; ; i++ {
		x, ok1 := by[[2]any{a, i}]
		y, ok2 := by[[2]any{b, i}]
		if !ok1 || !ok2 {
			break
		}
		if y > 0 {
			out = append(out, fmt.Sprintf("%.2fx", x/y))
		}
	}
	return strings.Join(out, ", ")
}

func mbps(r Round) float64 {
	if r.Load.Seconds <= 0 {
		return 0
	}
	return float64(r.Load.Bytes) / 1e6 / r.Load.Seconds
}

func cpuPerMB(r Round) float64 {
	if r.Load.Bytes == 0 {
		return 0
	}
	return r.CPUms / (float64(r.Load.Bytes) / 1e6)
}

// perSecond is how many requests n workers send in a second, each at most
// once per interval; 0 if interval does not parse.
func perSecond(n int, interval string) int {
	d, err := time.ParseDuration(interval)
	if err != nil || d <= 0 {
		return 0
	}
	return n * int(time.Second/d)
}
