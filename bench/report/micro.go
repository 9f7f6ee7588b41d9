package main

import (
	"slices"
	"strconv"
	"strings"
)

// Bench is one benchmark's median over its -count runs.
type Bench struct {
	Pkg, Name            string
	NsOp, BytesOp, Alloc float64
	Runs                 int
}

// parseBench reads `go test -bench -benchmem` output: "pkg:" lines set the
// package, "Benchmark..." lines give a run.
func parseBench(text string) []Bench {
	type key struct{ pkg, name string }
	runs := map[key][][3]float64{}
	var order []key
	pkg := ""
	for _, line := range strings.Split(text, "\n") {
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		var v [3]float64
		for i := 2; i+1 < len(f); i += 2 {
			n, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				v[0] = n
			case "B/op":
				v[1] = n
			case "allocs/op":
				v[2] = n
			}
		}
		k := key{pkg, trimProcs(f[0])}
		if _, seen := runs[k]; !seen {
			order = append(order, k)
		}
		runs[k] = append(runs[k], v)
	}
	var out []Bench
	for _, k := range order {
		rs := runs[k]
		col := func(i int) float64 {
			xs := make([]float64, len(rs))
			for j, r := range rs {
				xs[j] = r[i]
			}
			return median(xs)
		}
		out = append(out, Bench{Pkg: k.pkg, Name: k.name, NsOp: col(0), BytesOp: col(1), Alloc: col(2), Runs: len(rs)})
	}
	return out
}

// trimProcs drops the -GOMAXPROCS suffix: BenchmarkNew-2 is BenchmarkNew.
func trimProcs(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// find returns the benchmark whose name is name (sub-benchmarks included
// with their full name).
func find(bs []Bench, name string) (Bench, bool) {
	for _, b := range bs {
		if b.Name == name {
			return b, true
		}
	}
	return Bench{}, false
}
