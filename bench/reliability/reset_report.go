package main

import (
	"fmt"
	"strings"

	"github.com/sandgate/sandgate/bench/internal/load"
)

func (r *ResetResult) markdown(b *strings.Builder) {
	o := r.Options
	fmt.Fprintf(b, "Sandbox `attacker` opens %d HTTP/2 connections through the gateway (CONNECT, TLS with its CA, "+
		"`h2` by ALPN) and on each writes, with no pause, a request's HEADERS followed at once by RST_STREAM(CANCEL), "+
		"%d pairs a write, opening another connection whenever the gateway ends one (offering only `h2`). Sandbox `victim` sends %s, "+
		"alone and then during the flood (which starts %s before its warm-up). Every limit is the default: a sandbox "+
		"that resets more than 100 streams a second (burst 200) before their responses end has the connection closed "+
		"and, for a minute, is offered HTTP/1.1 only on new TLS sessions, so after the first connections the flood's "+
		"reconnections fail (listed below).\n\n",
		o.Conns, o.Batch, probeText(r.Probe), o.Warmup)
	loadTable(b, []string{"victim alone", "victim during the flood"}, []load.Result{r.Before, r.During})
	f := r.Flood
	rate := 0.0
	if f.Seconds > 0 {
		rate = float64(f.Streams) / f.Seconds
	}
	rows := [][]string{
		{"HEADERS+RST_STREAM pairs written (into the socket: not all read by the gateway before it closed the connection)", fmt.Sprintf("%s in %.1f s (%.0f a second)", thousands(f.Streams), f.Seconds, rate)},
		{"HTTP/2 connections opened", thousands(f.Conns)},
		{"how they ended", counts(f.Closed)},
		{"GOAWAY frames received", thousands(f.GoAways)},
		{"response HEADERS received (streams the gateway answered before the reset)", thousands(f.Headers)},
		{"gateway CPU during the victim's measurement", fmt.Sprintf("%.0f ms", r.CPUms)},
		{"gateway RSS before / peak during the flood", fmt.Sprintf("%s / %s", mib(r.RSSBefore), mib(r.RSSPeak))},
		{"gateway", upText(r.GatewayEnd)},
	}
	if len(f.DialErrs) > 0 {
		rows = append(rows, []string{"connections that could not be opened as HTTP/2 (each followed by a 50 ms pause)", counts(f.DialErrs)})
	}
	table(b, []string{"the flood", ""}, rows)
}
