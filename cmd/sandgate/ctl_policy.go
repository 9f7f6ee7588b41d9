package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/sandgate/sandgate/admin/client"
)

// bindingFlags registers --params and --param and returns the parser.
func bindingFlags(fs *flag.FlagSet) func(handler string) (client.Binding, error) {
	raw := fs.String("params", "", `handler params as a JSON object, e.g. '{"header":"X-Key"}'`)
	var kvs multiFlag
	fs.Var(&kvs, "param", "one string param key=value (repeatable; merged over --params)")
	return func(handler string) (client.Binding, error) {
		b := client.Binding{Handler: handler}
		if *raw != "" {
			if err := json.Unmarshal([]byte(*raw), &b.Params); err != nil {
				return b, usagef("--params: not a JSON object: %v", err)
			}
		}
		extra, err := keyValues("param", kvs)
		if err != nil {
			return b, err
		}
		for k, v := range extra {
			if b.Params == nil {
				b.Params = map[string]any{}
			}
			b.Params[k] = v
		}
		return b, nil
	}
}

var outboundSetCmd = command{name: "outbound set", args: "ID HANDLER", minArgs: 2, maxArgs: 2,
	summary: "bind a handler as the sandbox's runtime catch-all (PUT .../outbound)",
	setup: func(fs *flag.FlagSet) runFunc {
		binding := bindingFlags(fs)
		return func(ctx context.Context, c *ctl, args []string) error {
			b, err := binding(args[1])
			if err != nil {
				return err
			}
			sb, err := c.api.SetOutbound(ctx, args[0], b)
			if err != nil {
				return err
			}
			return c.changed(sb, "outbound: %s", bindingText(b))
		}
	}}

var outboundClearCmd = command{name: "outbound clear", args: "ID", minArgs: 1, maxArgs: 1,
	summary: "remove the sandbox's runtime catch-all (DELETE .../outbound)",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, args []string) error {
			if err := c.api.ClearOutbound(ctx, args[0]); err != nil {
				return err
			}
			return c.done(map[string]string{"sandbox": args[0], "cleared": "outbound"}, "sandbox %s: runtime outbound cleared", args[0])
		}
	}}

var byHostSetCmd = command{name: "by-host set", args: "ID PATTERN HANDLER", minArgs: 3, maxArgs: 3,
	summary: "bind a handler to a host pattern for the sandbox (PUT .../outbound-by-host/{pattern})",
	help: `PATTERN is a host pattern: example.com, *.example.com, example.com:443,
10.0.0.0/8. It is URL-escaped for you.`,
	setup: func(fs *flag.FlagSet) runFunc {
		binding := bindingFlags(fs)
		return func(ctx context.Context, c *ctl, args []string) error {
			b, err := binding(args[2])
			if err != nil {
				return err
			}
			sb, err := c.api.SetByHost(ctx, args[0], args[1], b)
			if err != nil {
				return err
			}
			return c.changed(sb, "outbound_by_host %s: %s", args[1], bindingText(b))
		}
	}}

var byHostClearCmd = command{name: "by-host clear", args: "ID PATTERN", minArgs: 2, maxArgs: 2,
	summary: "remove a runtime host binding (DELETE .../outbound-by-host/{pattern})",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, args []string) error {
			if err := c.api.ClearByHost(ctx, args[0], args[1]); err != nil {
				return err
			}
			return c.done(map[string]string{"sandbox": args[0], "cleared": "outbound_by_host " + args[1]},
				"sandbox %s: binding for %s cleared", args[0], args[1])
		}
	}}

var hostsAllowCmd = command{name: "hosts allow", args: "ID [PATTERN...]", minArgs: 1, maxArgs: -1,
	summary: "set the sandbox's runtime allowed_hosts (PUT .../allowed-hosts)",
	help: `The runtime list replaces the class's list. With patterns: set the list to
them (--add: add them to the effective list). --none: allow nothing. --reset:
remove the runtime list, so the class's list applies again.`,
	setup: func(fs *flag.FlagSet) runFunc { return hostsRun(fs, true) }}

var hostsDenyCmd = command{name: "hosts deny", args: "ID [PATTERN...]", minArgs: 1, maxArgs: -1,
	summary: "set the sandbox's runtime denied_hosts (PUT .../denied-hosts)",
	help: `The runtime list adds to the class's list (a class deny cannot be lifted).
With patterns: set the runtime list to them (--add: add them to it). --reset or
--none: remove the runtime additions.`,
	setup: func(fs *flag.FlagSet) runFunc { return hostsRun(fs, false) }}

func hostsRun(fs *flag.FlagSet, allow bool) runFunc {
	add := fs.Bool("add", false, "add the patterns to the current list instead of replacing it")
	none := fs.Bool("none", false, "set an empty list")
	reset := fs.Bool("reset", false, "remove the runtime list (send null)")
	return func(ctx context.Context, c *ctl, args []string) error {
		id, pats := args[0], args[1:]
		set, field := c.api.SetDeniedHosts, "denied_hosts"
		if allow {
			set, field = c.api.SetAllowedHosts, "allowed_hosts"
		}
		switch {
		case *reset && (*none || *add || len(pats) > 0), *none && (*add || len(pats) > 0):
			return usagef("--reset, --none and patterns exclude each other")
		case *reset:
			pats = nil
		case *none:
			pats = []string{}
		case len(pats) == 0:
			return usagef("give patterns, --none or --reset")
		}
		var sb *client.Sandbox
		var err error
		if *add {
			sb, err = addHosts(ctx, c.api, id, pats, allow)
		} else {
			sb, err = set(ctx, id, pats)
		}
		if err != nil {
			return err
		}
		if allow {
			return c.changed(sb, "%s: %s", field, list(sb.Policy.AllowedHosts))
		}
		return c.changed(sb, "%s: %s", field, orDash(strings.Join(sb.Policy.DeniedHosts, ", ")))
	}
}

// addHosts adds patterns to the sandbox's list as a read-modify-write
// that loses no concurrent change: it reads the list and its ETag, writes
// with If-Match, and starts again when the gateway answers 412 (someone
// else changed the sandbox in between).
func addHosts(ctx context.Context, api *client.Client, id string, pats []string, allow bool) (*client.Sandbox, error) {
	const tries = 20
	for i := 0; ; i++ {
		sb, etag, err := api.SandboxETag(ctx, id)
		if err != nil {
			return nil, err
		}
		set, base := api.SetDeniedHostsIfMatch, sb.Runtime.DeniedHosts
		if allow {
			set, base = api.SetAllowedHostsIfMatch, sb.Policy.AllowedHosts
		}
		out, err := set(ctx, id, appendNew(slices.Clone(base), pats), etag)
		if !client.IsStale(err) || i == tries-1 {
			return out, err
		}
	}
}

func appendNew(base, add []string) []string {
	for _, p := range add {
		if !slices.Contains(base, p) {
			base = append(base, p)
		}
	}
	if base == nil {
		base = []string{}
	}
	return base
}

// changed reports a policy change: the sandbox (JSON) or one line.
func (c *ctl) changed(sb *client.Sandbox, format string, a ...any) error {
	if c.json() {
		return c.printJSON(sb)
	}
	fmt.Fprintf(c.stdout, "sandbox %s: %s\n", sb.ID, fmt.Sprintf(format, a...))
	return nil
}

// done reports a change without an answer body.
func (c *ctl) done(v any, format string, a ...any) error {
	if c.json() {
		return c.printJSON(v)
	}
	fmt.Fprintf(c.stdout, format+"\n", a...)
	return nil
}

// bindingText is a handler and, when it has any, its params.
func bindingText(b client.Binding) string {
	if len(b.Params) == 0 {
		return b.Handler
	}
	return b.Handler + " " + compactJSON(b.Params)
}
