package main

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sandgate/sandgate/bench/internal/load"
)

// loadTable writes one column per named load result: requests, failures,
// rate and latency quantiles, and a failure sample if any.
func loadTable(b *strings.Builder, names []string, rs []load.Result) {
	rows := [][]string{{"requests"}, {"failed"}, {"requests/s"}, {"p50"}, {"p99"}, {"max"}}
	var samples []string
	for _, r := range rs {
		rows[0] = append(rows[0], thousands(int64(r.Requests)))
		rows[1] = append(rows[1], fmt.Sprint(r.Errors))
		rows[2] = append(rows[2], fmt.Sprintf("%.0f", r.RPS))
		rows[3] = append(rows[3], ms(r.P50))
		rows[4] = append(rows[4], ms(r.P99))
		rows[5] = append(rows[5], ms(r.Max))
		if len(r.ErrorSamples) > 0 {
			samples = append(samples, r.ErrorSamples[0])
		}
	}
	table(b, append([]string{""}, names...), rows)
	for _, s := range samples {
		fmt.Fprintf(b, "A failure: `%s`\n\n", strings.ReplaceAll(firstLines(s, 1), "`", "'"))
	}
}

// counts renders a map of counts as "k: v, k: v", largest first.
func counts[V int | float64](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := k
		if name == "" {
			name = "(none)"
		}
		parts[i] = fmt.Sprintf("%s: %v", name, m[k])
	}
	return strings.Join(parts, ", ")
}

// probeText describes the probe client of a phase.
func probeText(p ProbeOptions) string {
	return fmt.Sprintf("%g keep-alive HTTPS requests a second through the proxy (an open loop: each request's latency "+
		"counts from when it was due, so waiting behind a slow one is counted; at most %d in flight), every response "+
		"checked for the injected secret", p.Rate, p.Concurrency)
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// thousands formats n with thin separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mib formats bytes as MiB (GiB from 10 GiB up).
func mib(b uint64) string {
	if b >= 10<<30 {
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func upText(end string) string {
	if end == "" {
		return "up"
	}
	return "ended: " + end
}
