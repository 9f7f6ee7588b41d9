package main

import (
	"fmt"
	"strings"

	"github.com/sandgate/sandgate/bench/internal/load"
)

func (r *SoakResult) markdown(b *strings.Builder) {
	o := r.Options
	fmt.Fprintf(b, "Sandbox `soak` sends keep-alive requests with %d workers, each one at a time with no pause, for %s through a Lua handler (it reads "+
		"the secret and injects it), while `PUT /v1/scripts/soak` replaces that handler %g times a second with its "+
		"other version. Each version names itself in a header, so the upstream counts the requests each one sent.\n\n",
		o.Concurrency, o.Duration, o.Swaps)
	loadTable(b, []string{"soak"}, []load.Result{r.Load})
	table(b, []string{"swaps and memory", ""}, [][]string{
		{"swaps / failed", fmt.Sprintf("%s / %d (slowest %.0f ms)", thousands(int64(r.Swaps)), r.SwapsFailed, r.SwapMaxMs)},
		{"requests the upstream saw by version", counts(r.Versions)},
		{"`sandgate_requests_total` by decision", counts(r.Decisions)},
		{"gateway RSS start / end / peak", fmt.Sprintf("%s / %s / %s", mib(r.RSSStart), mib(r.RSSEnd), mib(r.RSSPeak))},
		{"gateway", upText(r.GatewayEnd)},
	})
	for _, s := range r.SwapSamples {
		fmt.Fprintf(b, "A failed swap: `%s`\n\n", s)
	}
}
