package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"

	"github.com/sandgate/sandgate/admin/client"
)

var secretsFlushCmd = command{name: "secrets flush", maxArgs: 0,
	summary: "empty the secrets cache (POST /v1/secrets/flush)",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, _ []string) error {
			if err := c.api.FlushSecrets(ctx); err != nil {
				return err
			}
			return c.done(map[string]string{"status": "flushed"}, "secrets cache flushed")
		}
	}}

var statusCmd = command{name: "status", maxArgs: 0,
	summary: "version, uptime, sandboxes, scripts, secrets backend, state store (GET /v1/status)",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, _ []string) error {
			st, err := c.api.Status(ctx)
			if err != nil {
				return err
			}
			if c.json() {
				return c.printJSON(st)
			}
			tw := table(c.stdout)
			row(tw, "admin:", c.url)
			row(tw, "version:", st.Version)
			row(tw, "uptime:", fmt.Sprintf("%ds", st.UptimeSeconds))
			row(tw, "proxy:", orDash(st.ProxyAddr))
			row(tw, "sandboxes:", st.Sandboxes)
			row(tw, "open_connections:", st.OpenConnections)
			row(tw, "secrets_backend:", st.SecretsBackend)
			row(tw, "scripts_sha256:", st.ScriptsSHA256)
			if st.State != nil {
				row(tw, "node:", orDash(st.Node))
				row(tw, "state:", stateText(st.State))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout)
			return c.printScripts(st.Scripts)
		}
	}}

// stateText is the state store in one line: "etcd, healthy, revision 42".
func stateText(s *client.StateStatus) string {
	health := "healthy"
	if !s.Healthy {
		health = "UNHEALTHY (admin changes get 503)"
	}
	out := s.Backend + ", " + health
	if s.Revision > 0 {
		out += fmt.Sprintf(", revision %d", s.Revision)
	}
	return out
}

var metricsCmd = command{name: "metrics", maxArgs: 0,
	summary: "print the Prometheus metrics (GET /metrics)",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, _ []string) error {
			b, err := c.api.Metrics(ctx)
			if err != nil {
				return err
			}
			_, err = c.stdout.Write(b)
			return err
		}
	}}

var healthCmd = command{name: "health", maxArgs: 0,
	summary: "check that the admin API answers (GET /healthz)",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, _ []string) error {
			if err := c.api.Health(ctx); err != nil {
				return err
			}
			return c.done(map[string]string{"status": "ok"}, "ok")
		}
	}}

var pprofCmd = command{name: "debug pprof", args: "[PROFILE]", maxArgs: 1, stream: true,
	summary: "fetch a Go profile from /debug/pprof/ (heap, goroutine, profile, trace, ...)",
	help: `Without PROFILE prints the index. "profile" (CPU) and "trace" run for
--seconds. Write the result with --out FILE, then: go tool pprof FILE.`,
	setup: func(fs *flag.FlagSet) runFunc {
		seconds := fs.Int("seconds", 0, "duration for profile and trace (server default 30, trace 1)")
		out := fs.String("out", "", "write to this file instead of standard output")
		debug := fs.Int("debug", -1, "debug=N query (1: text for goroutine, heap, ...)")
		return func(ctx context.Context, c *ctl, args []string) error {
			q := url.Values{}
			if *seconds > 0 {
				q.Set("seconds", strconv.Itoa(*seconds))
			}
			if *debug >= 0 {
				q.Set("debug", strconv.Itoa(*debug))
			}
			profile := ""
			if len(args) == 1 {
				profile = args[0]
			}
			body, err := c.api.Pprof(ctx, profile, q)
			if err != nil {
				return err
			}
			defer body.Close()
			var w io.Writer = c.stdout
			if *out != "" {
				f, err := os.Create(*out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			_, err = io.Copy(w, body)
			if err == nil && *out != "" {
				fmt.Fprintf(c.stderr, "wrote %s\n", *out)
			}
			return err
		}
	}}
