package main

import (
	"fmt"
	"strings"

	"github.com/sandgate/sandgate/bench/internal/load"
)

func (r *BombResult) markdown(b *strings.Builder) {
	o := r.Options
	fmt.Fprintf(b, "Sandbox `bomber`'s handler grows a table without end (`t[#t+1] = string.rep(\"x\", 1000) .. #t`); %d of "+
		"its requests run at once, for %s, on a gateway with `limits.max_memory: %s` and `handler_timeout: %s` "+
		"(long, so that the memory ceiling and not the time limit has to stop the handler). Sandbox `bystander` sends %s meanwhile and after. RSS is read every 50 ms; past "+
		"%s the harness kills the gateway to protect the machine.\n\n", o.Concurrency, o.Duration, o.MaxMemory, o.HandlerTimeout, probeText(r.Probe), mib(o.Kill))
	table(b, []string{"memory bomb", ""}, [][]string{
		{fmt.Sprintf("gateway RSS before / **peak** / %s after the last bomb call", o.Settle), fmt.Sprintf("%s / **%s** / %s", mib(r.RSSBefore), mib(r.RSSPeak), mib(r.RSSAfter))},
		{"killed by the harness's safety stop", fmt.Sprint(r.Killed)},
		{"gateway", upText(r.GatewayEnd)},
		{"bomb requests and what they got", fmt.Sprintf("%s: %s", thousands(int64(r.Requests)), counts(r.Outcomes))},
		{"`sandgate_handler_errors_total` / `_timeouts_total` of the bomb", fmt.Sprintf("%.0f / %.0f", r.HandlerErrors, r.HandlerTimeouts)},
	})
	loadTable(b, []string{"bystander during the bomb", "bystander after"}, []load.Result{r.Bystander, r.After})
}
