package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/sandgate/sandgate/admin/client"
	"github.com/sandgate/sandgate/observe"
)

var watchCmd = command{name: "watch", args: "[SANDBOX]", maxArgs: 1, stream: true,
	summary: "follow decisions as they happen (GET /v1/events)",
	help: `Prints one line per finished request or tunnel until interrupted:
time, decision, status, sandbox, method and URL (no query), reason, handler and
duration. -o json prints the stream's lines as they come (NDJSON). A line
"N events dropped" means this watcher read too slowly and the gateway skipped
events for it rather than slow the proxy down.`,
	setup: func(fs *flag.FlagSet) runFunc {
		var decisions multiFlag
		fs.Var(&decisions, "decision", "only these decisions: allow, deny, handler, error (repeatable or comma-separated)")
		return func(ctx context.Context, c *ctl, args []string) error {
			f := client.EventFilter{}
			if len(args) == 1 {
				f.Sandboxes = []string{args[0]}
			}
			for _, d := range decisions {
				for _, v := range strings.Split(d, ",") {
					if !slices.Contains(observe.Decisions, v) {
						return usagef("--decision %q: want allow, deny, handler or error", v)
					}
					f.Decisions = append(f.Decisions, v)
				}
			}
			return c.watch(ctx, f)
		}
	}}

func (c *ctl) watch(ctx context.Context, f client.EventFilter) error {
	st, err := c.api.Events(ctx, f)
	if err != nil {
		return err
	}
	defer st.Close()
	go func() {
		<-ctx.Done()
		_ = st.Close()
	}()
	fmt.Fprintf(c.stderr, "watching %s/v1/events%s (Ctrl-C to stop)\n", c.url, describeFilter(f))
	for {
		e, err := st.Next()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, io.EOF):
			return errors.New("the gateway ended the event stream")
		case err != nil:
			return err
		}
		if err := c.printEvent(e); err != nil {
			return err
		}
	}
}

func describeFilter(f client.EventFilter) string {
	var parts []string
	if len(f.Sandboxes) > 0 {
		parts = append(parts, "sandbox="+strings.Join(f.Sandboxes, ","))
	}
	if len(f.Decisions) > 0 {
		parts = append(parts, "decision="+strings.Join(f.Decisions, ","))
	}
	if len(parts) == 0 {
		return ""
	}
	return " [" + strings.Join(parts, " ") + "]"
}

func (c *ctl) printEvent(e client.Event) error {
	if c.json() {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", b)
		return err
	}
	if e.Dropped > 0 && e.RequestID == "" {
		_, err := fmt.Fprintf(c.stdout, "-- %d events dropped (this watcher fell behind)\n", e.Dropped)
		return err
	}
	extra := ""
	if e.Reason != "" {
		extra += " reason=" + e.Reason
	}
	if e.Handler != "" {
		extra += " handler=" + e.Handler
	}
	_, err := fmt.Fprintf(c.stdout, "%s %-7s %3d %s %s %s%s %.1fms\n",
		e.Time.Local().Format("15:04:05.000"), e.Decision, e.Status, e.Sandbox, e.Method, eventURL(e), extra, e.DurationMS)
	return err
}

// eventURL is the request's URL without query; a tunnel is host:port.
func eventURL(e client.Event) string {
	host := e.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if e.Method == "CONNECT" {
		return host + ":" + strconv.Itoa(e.Port)
	}
	if !(e.Scheme == "https" && e.Port == 443) && !(e.Scheme == "http" && e.Port == 80) && e.Port != 0 {
		host += ":" + strconv.Itoa(e.Port)
	}
	return e.Scheme + "://" + host + e.Path
}
