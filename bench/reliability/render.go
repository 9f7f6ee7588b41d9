package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// section is a phase's figures, able to render themselves.
type section interface {
	markdown(b *strings.Builder)
}

// render writes RELIABILITY.md.
func render(path string, r *Results) error {
	var b strings.Builder
	if r.fuzzOnly() {
		b.WriteString("# Fuzzing\n\n")
		b.WriteString("Written by `make fuzz` (the fuzzing phase of the program in `bench/reliability`) from one run on\n" +
			"the machine described below; nothing here is edited by hand. `make reliability` runs the same targets\n" +
			"for a few seconds each within its time bound (RELIABILITY.md); this is the long run.\n\n")
		renderFacts(&b, r)
		renderTargets(&b, r)
		renderPhase(&b, r.Phases[0])
		return os.WriteFile(path, []byte(b.String()), 0o644)
	}
	b.WriteString("# Reliability\n\n")
	b.WriteString("Written by `make reliability` (the program in `bench/reliability`) from one run of the real\n" +
		"binary on the machine described below; nothing here is edited by hand. Each phase starts a fresh\n" +
		"gateway (`state: memory`, file secrets, the audit log in a file, every other key at its default\n" +
		"unless the phase says otherwise) and stops it; the HTTPS echo upstream on 127.0.0.1 and every\n" +
		"client are the program itself, on the same cores. The targets are the project's for\n" +
		"its limits (docs/config.md). A busy machine makes latencies noisy: the load average and how many cores were\n" +
		"busy (every process, the gateway and this program included) are given with each phase.\n\n")
	renderFacts(&b, r)
	renderTargets(&b, r)
	for i, p := range r.Phases {
		fmt.Fprintf(&b, "## %d. %s\n\n", i+1, p.Title)
		renderPhase(&b, p)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// renderPhase writes a phase's conditions and, unless it was skipped, its
// figures.
func renderPhase(b *strings.Builder, p *Phase) {
	renderConditions(b, p)
	if s, ok := p.Data.(section); ok && p.Status != "skipped" {
		s.markdown(b)
	}
}

// fuzzOnly reports whether the run is make fuzz's: the fuzzing phase alone.
func (r *Results) fuzzOnly() bool {
	return len(r.Phases) == 1 && r.Phases[0].Name == "fuzz"
}

func renderFacts(b *strings.Builder, r *Results) {
	m := r.Machine
	rows := [][]string{
		{"command", "`" + r.Command + "`"},
		{"date", r.Date},
		{"machine", fmt.Sprintf("%d CPUs (%s), %s memory, Linux %s", m.CPUs, m.CPUModel, memText(m.Memory), m.Kernel)},
		{"software", fmt.Sprintf("`%s` (repository at %s), %s", m.Sandgate, m.Commit, m.Go)},
		{"limits", fmt.Sprintf("open files %s, loopback ephemeral ports %s", m.NoFile, m.PortRange)},
		{"load average (1, 5, 15 min)", fmt.Sprintf("%s at the start, %s at the end", loadText(m.LoadStart), loadText(r.LoadEnd))},
		{"run time", (time.Duration(r.Seconds) * time.Second).String()},
	}
	table(b, []string{"", ""}, rows)
}

func renderTargets(b *strings.Builder, r *Results) {
	b.WriteString("## Targets\n\n")
	var rows [][]string
	met, total := 0, 0
	for _, p := range r.Phases {
		if p.Status != "ran" {
			rows = append(rows, []string{p.Title, "-", p.Status + ": " + firstLines(p.Error, 1), "not measured"})
			continue
		}
		for _, t := range p.Targets {
			total++
			if t.Met {
				met++
			}
			rows = append(rows, []string{p.Title, t.What, t.Got, metText(t.Met)})
		}
	}
	fmt.Fprintf(b, "%d of %d targets met.\n\n", met, total)
	table(b, []string{"phase", "target", "measured", ""}, rows)
}

func renderConditions(b *strings.Builder, p *Phase) {
	switch p.Status {
	case "skipped":
		fmt.Fprintf(b, "Not run: %s.\n\n", p.Error)
		return
	case "failed":
		fmt.Fprintf(b, "**The phase failed:** %s\n\n", strings.ReplaceAll(firstLines(p.Error, 3), "\n", " "))
	}
	fmt.Fprintf(b, "Ran %.0f s; load average %s at the start, %s at the end; %.1f cores busy on average.",
		p.Seconds, loadText(p.LoadStart), loadText(p.LoadEnd), p.BusyCores)
	for _, n := range p.Notes {
		fmt.Fprintf(b, " Note: %s.", n)
	}
	b.WriteString("\n\n")
}

func loadText(l [3]float64) string { return fmt.Sprintf("%.2f %.2f %.2f", l[0], l[1], l[2]) }

// table writes a Markdown table; cells have their pipes escaped.
func table(b *strings.Builder, head []string, rows [][]string) {
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = strings.ReplaceAll(strings.ReplaceAll(c, "|", "\\|"), "\n", " ")
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\n")
}

// ms formats a latency in milliseconds.
func ms(v float64) string { return fmt.Sprintf("%.1f ms", v) }

// memText turns /proc/meminfo's "24683748 kB" into GiB.
func memText(s string) string {
	var kb float64
	if _, err := fmt.Sscanf(s, "%f kB", &kb); err != nil {
		return s
	}
	return fmt.Sprintf("%.1f GiB", kb/(1<<20))
}
