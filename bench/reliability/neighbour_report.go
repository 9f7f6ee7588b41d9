package main

import (
	"fmt"
	"strings"
)

func (r *NeighbourResult) markdown(b *strings.Builder) {
	o := r.Options
	fmt.Fprintf(b, "Sandbox B is measured for %s (after %s of warm-up) on an otherwise idle gateway, while sandbox A "+
		"sends with no pause on %d keep-alive connections (case a), while %d of A's requests at once run a handler "+
		"that loops (`while true do end`, case b), and on the idle gateway again, which shows how much the machine's "+
		"own noise moves the idle figure. A starts %s before B's warm-up. B sends %s. `handler_timeout` %s, "+
		"`handler_concurrency` %s; A's class `rate_limit`: %s. The ratios are to the first idle p99.\n\n",
		o.Duration, o.Warmup, o.Flood, o.Loops, o.Warmup, probeText(r.Probe), r.HandlerTimeout, r.HandlerConcurrency, r.RateLimitA)
	var rows [][]string
	for _, c := range r.Cases {
		ratio := "-"
		if c.Ratio > 0 {
			ratio = fmt.Sprintf("%.2fx", c.Ratio)
		}
		a := "-"
		if c.ARequest > 0 {
			a = fmt.Sprintf("%s: %s", thousands(int64(c.ARequest)), counts(c.A))
		}
		rows = append(rows, []string{c.Name, thousands(int64(c.B.Requests)), fmt.Sprint(c.B.Errors),
			ms(c.B.P50), ms(c.B.P99), ratio, fmt.Sprintf("%.0f", c.CPUms), a})
	}
	table(b, []string{"case", "B requests", "B failed", "B p50", "B p99", "p99 / idle", "gateway CPU ms", "A's requests and what they got"}, rows)
}
