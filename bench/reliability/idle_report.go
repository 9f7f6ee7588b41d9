package main

import (
	"fmt"
	"strings"

	"github.com/sandgate/sandgate/bench/internal/load"
)

func (r *IdleResult) markdown(b *strings.Builder) {
	o := r.Options
	fmt.Fprintf(b, "%s authenticated keep-alive connections, spread over %d sandboxes: each a CONNECT tunnel to the "+
		"upstream, TLS inside with the sandbox's CA, one request answered, then nothing. They are opened at most %d "+
		"a second, %d at once. The gateway's `proxy.max_connections` is %d so that they and sandbox `other` fit "+
		"(the default is 10000). RSS per connection is the RSS %s after the last one minus the RSS before the "+
		"first, divided by the connections.\n\n",
		thousands(int64(o.Conns)), o.Sandboxes, o.Rate, o.Workers, r.MaxConnections, o.Settle)
	table(b, []string{"idle connections", ""}, [][]string{
		{"opened / failed", fmt.Sprintf("%s / %d in %.1f s", thousands(int64(r.Opened)), r.Failed, r.OpenSeconds)},
		{"gateway `sandgate_open_connections`", fmt.Sprintf("%.0f", r.GatewayOpen)},
		{"gateway RSS before / after / peak", fmt.Sprintf("%s / %s / %s", mib(r.RSSBefore), mib(r.RSSAfter), mib(r.RSSPeak))},
		{"**RSS per connection**", fmt.Sprintf("**%.1f KiB**", r.RSSPerConn/1024)},
		{"Go heap in use per connection", fmt.Sprintf("%.1f KiB", r.HeapPerConn/1024)},
		{"goroutines per connection", fmt.Sprintf("%.2f", r.GoroutinesPerConn)},
		{"still answering at the end", fmt.Sprintf("%d of %d checked", r.Alive, r.Checked)},
		{"gateway", upText(r.GatewayEnd)},
	})
	for _, s := range r.FailSamples {
		fmt.Fprintf(b, "A failed connection: `%s`\n\n", s)
	}
	fmt.Fprintf(b, "Sandbox `other` sends %s:\n\n", probeText(r.ProbeWith))
	loadTable(b, []string{"before", "while the idle connections are open"}, []load.Result{r.Before, r.During})
}
