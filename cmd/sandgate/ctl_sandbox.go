package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/sandgate/sandgate/admin/client"
)

var sandboxCreateCmd = command{name: "sandbox create", args: "[ID]", minArgs: 0, maxArgs: 1,
	summary: "create a sandbox (POST /v1/sandboxes); its token is shown once",
	help: `Without ID the gateway picks a random one. --write-env DIR writes DIR/ca.pem
(the sandbox's CA) and DIR/sandgate.env (export lines with the proxy URL, token
included, and the CA variables pointing at DIR/ca.pem, or at --ca-path), for the
sandbox to source: . DIR/sandgate.env`,
	setup: func(fs *flag.FlagSet) runFunc {
		class := fs.String("class", "", "class of the sandbox (default: the class named default)")
		source := fs.String("source-ip", "", "source address that identifies it in transparent mode")
		var lbls multiFlag
		fs.Var(&lbls, "label", "label key=value (repeatable)")
		dir := fs.String("write-env", "", "write ca.pem, ca-bundle.pem and sandgate.env into this directory")
		caPath := fs.String("ca-path", "", "CA path to write into sandgate.env (default: DIR/ca.pem, absolute)")
		return func(ctx context.Context, c *ctl, args []string) error {
			req := client.CreateRequest{Class: *class, SourceIP: *source}
			if len(args) == 1 {
				req.ID = args[0]
			}
			var err error
			if req.Labels, err = keyValues("label", lbls); err != nil {
				return err
			}
			sb, err := c.api.CreateSandbox(ctx, req)
			if err != nil {
				return err
			}
			var files [2]string
			if *dir != "" {
				bundle, err := c.api.CABundle(ctx, sb.ID)
				if err != nil {
					return err
				}
				if files, err = writeCreatedEnv(sb, bundle, *dir, *caPath); err != nil {
					return err
				}
			}
			if c.json() {
				return c.printJSON(sb)
			}
			tw := table(c.stdout)
			row(tw, "id:", sb.ID)
			row(tw, "class:", sb.Class)
			row(tw, "token:", sb.Token+"  (shown once)")
			row(tw, "proxy_url:", sb.ProxyURL)
			_ = tw.Flush()
			if *dir != "" {
				fmt.Fprintf(c.stdout, "wrote %s and %s; in the sandbox: . %s\n", files[0], files[1], files[1])
			} else {
				fmt.Fprintf(c.stdout, "CA: sandgate ctl sandbox ca %s > ca.pem (or use --write-env DIR)\n", sb.ID)
			}
			return nil
		}
	}}

func writeCreatedEnv(sb *client.Created, bundle []byte, dir, caPath string) ([2]string, error) {
	p, err := caPathFor(dir, caPath)
	if err != nil {
		return [2]string{}, err
	}
	ca, env, err := writeEnvDir(dir, sb.ID, []byte(sb.CAPEM), bundle, withCAPath(sb.Env, p))
	return [2]string{ca, env}, err
}

var sandboxListCmd = command{name: "sandbox list", maxArgs: 0,
	summary: "list the sandboxes (GET /v1/sandboxes)",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, _ []string) error {
			list, err := c.api.Sandboxes(ctx)
			if err != nil {
				return err
			}
			if c.json() {
				return c.printJSON(list)
			}
			tw := table(c.stdout)
			row(tw, "ID", "CLASS", "SOURCE_IP", "CREATED", "LABELS")
			for _, s := range list {
				row(tw, s.ID, s.Class, orDash(s.SourceIP), s.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), labels(s.Labels))
			}
			return tw.Flush()
		}
	}}

var sandboxShowCmd = command{name: "sandbox show", args: "ID", minArgs: 1, maxArgs: 1,
	summary: "show a sandbox and its effective policy (GET /v1/sandboxes/{id})",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, args []string) error {
			sb, err := c.api.Sandbox(ctx, args[0])
			if err != nil {
				return err
			}
			if c.json() {
				return c.printJSON(sb)
			}
			return printSandbox(c, sb)
		}
	}}

func printSandbox(c *ctl, sb *client.Sandbox) error {
	p := sb.Policy
	tw := table(c.stdout)
	row(tw, "id:", sb.ID)
	row(tw, "class:", sb.Class)
	row(tw, "created:", sb.CreatedAt.Format("2006-01-02T15:04:05Z07:00"))
	row(tw, "source_ip:", orDash(sb.SourceIP))
	row(tw, "labels:", labels(sb.Labels))
	row(tw, "intercept_https:", p.InterceptHTTPS)
	row(tw, "enable_internet:", p.EnableInternet)
	row(tw, "deny_status:", p.DenyStatus)
	allowed := list(p.AllowedHosts)
	if p.AllowedHostsSource != "" {
		allowed += "  (" + p.AllowedHostsSource + ")"
	}
	row(tw, "allowed_hosts:", allowed)
	row(tw, "denied_hosts:", orDash(strings.Join(p.DeniedHosts, ", ")))
	out := "-"
	if p.Outbound != nil {
		out = fmt.Sprintf("%s %s  (%s)", p.Outbound.Handler, compactJSON(p.Outbound.Params), p.Outbound.Source)
	}
	row(tw, "outbound:", out)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.OutboundByHost) == 0 {
		fmt.Fprintln(c.stdout, "outbound_by_host: -")
		return nil
	}
	fmt.Fprintln(c.stdout, "outbound_by_host:")
	tw = table(c.stdout)
	row(tw, "  PATTERN", "HANDLER", "SOURCE", "PARAMS")
	for _, pat := range sortedKeys(p.OutboundByHost) {
		b := p.OutboundByHost[pat]
		row(tw, "  "+pat, b.Handler, b.Source, compactJSON(b.Params))
	}
	return tw.Flush()
}

var sandboxDeleteCmd = command{name: "sandbox delete", args: "ID", minArgs: 1, maxArgs: 1,
	summary: "delete a sandbox: its CA is destroyed, its connections closed",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, args []string) error {
			if err := c.api.DeleteSandbox(ctx, args[0]); err != nil {
				return err
			}
			if c.json() {
				return c.printJSON(map[string]string{"deleted": args[0]})
			}
			fmt.Fprintf(c.stdout, "deleted sandbox %s\n", args[0])
			return nil
		}
	}}

var sandboxEnvCmd = command{name: "sandbox env", args: "ID", minArgs: 1, maxArgs: 1,
	summary: "print the environment a sandbox uses (export lines)",
	help: `The gateway shows a sandbox's token only at creation, so the proxy URL
carries ${SANDGATE_SANDBOX_TOKEN}, expanded when the lines are sourced, unless
--sandbox-token is given. The proxy address comes from GET /v1/status (or --proxy).
--write-env DIR also writes DIR/ca.pem (GET /v1/sandboxes/{id}/ca.pem),
DIR/ca-bundle.pem (GET .../ca-bundle.pem: system roots plus the CA, for npm and
pip) and DIR/sandgate.env.`,
	setup: func(fs *flag.FlagSet) runFunc {
		token := fs.String("sandbox-token", "", "the sandbox's token (default: "+tokenPlaceholder+")")
		proxyAddr := fs.String("proxy", "", "proxy host:port the sandbox reaches (default: from the gateway's status)")
		dir := fs.String("write-env", "", "write ca.pem, ca-bundle.pem and sandgate.env into this directory")
		caPath := fs.String("ca-path", "", "CA path in the environment (default: DIR/ca.pem with --write-env, else /etc/sandgate/ca.pem)")
		return func(ctx context.Context, c *ctl, args []string) error {
			id := args[0]
			pem, err := c.api.CAPEM(ctx, id)
			if err != nil {
				return err
			}
			addr := *proxyAddr
			if addr == "" {
				st, err := c.api.Status(ctx)
				if err != nil {
					return err
				}
				if addr = st.ProxyAddr; addr == "" {
					return fmt.Errorf("the gateway's status has no proxy_addr: give --proxy HOST:PORT")
				}
			}
			tok := *token
			if tok == "" {
				tok = tokenPlaceholder
			}
			path := *caPath
			if *dir != "" {
				if path, err = caPathFor(*dir, *caPath); err != nil {
					return err
				}
			} else if path == "" {
				path = "/etc/sandgate/ca.pem"
			}
			proxyURL := "http://" + url.PathEscape(id) + ":" + tok + "@" + addr
			env := sandboxEnv(proxyURL, path)
			if *dir != "" {
				bundle, err := c.api.CABundle(ctx, id)
				if err != nil {
					return err
				}
				if _, envFile, err := writeEnvDir(*dir, id, pem, bundle, env); err != nil {
					return err
				} else if !c.json() {
					fmt.Fprintf(c.stderr, "wrote %s and %s\n", path, envFile)
				}
			}
			if c.json() {
				return c.printJSON(env)
			}
			_, err = fmt.Fprint(c.stdout, envLines(id, env))
			return err
		}
	}}

var sandboxCACmd = command{name: "sandbox ca", args: "ID", minArgs: 1, maxArgs: 1,
	summary: "print a sandbox's CA certificate, PEM (GET /v1/sandboxes/{id}/ca.pem)",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, args []string) error {
			pem, err := c.api.CAPEM(ctx, args[0])
			if err != nil {
				return err
			}
			if c.json() {
				return c.printJSON(map[string]string{"id": args[0], "ca_pem": string(pem)})
			}
			_, err = c.stdout.Write(pem)
			return err
		}
	}}
