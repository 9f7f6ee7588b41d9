// Command report writes BENCHMARKS.md from the outputs of `make bench`: the
// micro-benchmark text of `go test -bench`, the comparison's JSON
// (bench/compare) and, if present, the top of a CPU profile of sandgate
// under the keep-alive load. It computes the medians over rounds, the ratios
// and every target's margin, and says plainly which targets were missed.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	results := flag.String("results", "bench/results/results.json", "the comparison's JSON")
	micro := flag.String("micro", "bench/results/micro.txt", "go test -bench output")
	profile := flag.String("profile", "", "text of a CPU profile's top (optional)")
	microCmd := flag.String("micro-cmd", "", "the go test command that produced -micro")
	analysis := flag.String("analysis", "", "hand-written notes (markdown) on what limits the results (optional)")
	out := flag.String("out", "BENCHMARKS.md", "the report")
	flag.Parse()
	in, err := readInputs(*results, *micro, *profile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	in.MicroCmd = *microCmd
	if *analysis != "" {
		b, err := os.ReadFile(*analysis)
		if err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		in.Analysis, in.AnalysisFile = string(b), *analysis
	}
	if err := os.WriteFile(*out, []byte(render(in)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "report: wrote", *out)
}
