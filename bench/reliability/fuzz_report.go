package main

import (
	"fmt"
	"strings"
)

func (r *FuzzResult) markdown(b *strings.Builder) {
	o := r.Options
	if o.toExecs() {
		fmt.Fprintf(b, "Every Go fuzz target of the repository (`func FuzzXxx(f *testing.F)` in its test files) runs "+
			"`go test -run '^$' -fuzz '^Name$' -fuzztime %s` once, with its seed corpus and the local fuzz cache: "+
			"%s execs each, the target being 0 crashes.\n\n", o.fuzztime(), thousands(o.Execs))
	} else {
		fmt.Fprintf(b, "Every Go fuzz target of the repository (`func FuzzXxx(f *testing.F)` in its test files) runs "+
			"`go test -run '^$' -fuzz '^Name$' -fuzztime %s` once, with its seed corpus and the local fuzz cache. "+
			"`make fuzz` runs each to %s execs, the target being 0 crashes, and writes FUZZING.md.\n\n",
			o.fuzztime(), thousands(o.Execs))
	}
	var rows [][]string
	for _, t := range r.Targets {
		rows = append(rows, []string{shortPkg(t.Pkg), t.Name, t.Status, thousands(t.Execs), fmt.Sprintf("%.0f", t.Seconds),
			fmt.Sprintf("%.0f", t.Rate), fmt.Sprint(t.Crashes), fmt.Sprintf("%.0f", t.Wall)})
	}
	table(b, []string{"package", "target", "status", "execs", "fuzzing s", "execs/s", "crashes", "wall s (build included)"}, rows)
	for _, t := range r.Targets {
		if t.Status != "ok" {
			fmt.Fprintf(b, "%s %s: %s", t.Name, t.Status, "```\n"+t.Detail+"\n```\n")
			if t.Input != "" {
				fmt.Fprintf(b, "The failing input was written to `%s` (in the package's directory).\n", t.Input)
			}
			b.WriteString("\n")
		}
	}
}
