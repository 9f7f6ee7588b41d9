package main

import (
	"fmt"
	"strings"

	"github.com/sandgate/sandgate/bench/internal/load"
)

func (r *FloodResult) markdown(b *strings.Builder) {
	o := r.Options
	fmt.Fprintf(b, "%s connections that never authenticate each send one byte of a request head every %s, opened at "+
		"most %d a second", thousands(int64(o.Conns)), o.Interval, o.Rate)
	if o.Reopen {
		b.WriteString(" and replaced as soon as the gateway closes them, as an attacker would (so the flood keeps dialing at that rate)")
	}
	fmt.Fprintf(b, ". Meanwhile sandbox `victim` sends %s. The gateway's limits are the defaults: "+
		"`max_pending_connections` %d, `header_timeout` %s.\n\n", probeText(r.Probe), r.MaxPending, r.HeaderTimeout)
	loadTable(b, []string{"sandbox alone", "during the flood"}, []load.Result{r.Before, r.During})
	f := r.Flood
	table(b, []string{"the flood", ""}, [][]string{
		{"connections dialed", dialText(f)},
		{"open at once, at most (flood's side)", thousands(f.PeakOpen)},
		{"open at once, at most (gateway's `sandgate_open_connections`, read every second)", fmt.Sprintf("%.0f", r.GatewayOpenPeak)},
		{"closed by the gateway", fmt.Sprintf("%s (%s)", thousands(int64(f.ClosedTotal)), counts(f.Closed))},
		{"of which before `header_timeout` could end them (room made under `max_pending_connections`)", thousands(int64(f.ClosedEarly))},
		{"median life of a closed connection", fmt.Sprintf("%.1f s", f.MedianLife)},
		{"still open when the flood stopped", thousands(int64(f.OpenAtEnd))},
		{"`sandgate_bad_requests_total` by status", counts(r.Refused)},
		{"gateway RSS before / peak during the flood", fmt.Sprintf("%s / %s", mib(r.RSSBefore), mib(r.RSSPeak))},
		{"gateway", upText(r.GatewayEnd)},
	})
}

func dialText(f TrickleStats) string {
	if f.DialFailed == 0 {
		return thousands(f.Attempts) + ", none failed"
	}
	return fmt.Sprintf("%s, %d failed (%s)", thousands(f.Attempts), f.DialFailed, counts(f.DialErrors))
}
