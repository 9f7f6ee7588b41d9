package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sandgate/sandgate/admin/client"
)

var scriptsListCmd = command{name: "scripts list", maxArgs: 0,
	summary: "list the loaded scripts, their sha256 and bindings (GET /v1/scripts)",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, _ []string) error {
			list, err := c.api.Scripts(ctx)
			if err != nil {
				return err
			}
			return c.printScripts(list)
		}
	}}

func (c *ctl) printScripts(list []client.Script) error {
	if c.json() {
		return c.printJSON(list)
	}
	tw := table(c.stdout)
	row(tw, "NAME", "SHA256", "BOUND_AT")
	for _, s := range list {
		sum := s.SHA256
		if len(sum) > 12 {
			sum = sum[:12]
		}
		row(tw, s.Name, sum, orDash(strings.Join(s.BoundAt, "; ")))
	}
	return tw.Flush()
}

var scriptsShowCmd = command{name: "scripts show", args: "NAME", minArgs: 1, maxArgs: 1,
	summary: "print a script's source (GET /v1/scripts/{name})",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, args []string) error {
			src, err := c.api.Script(ctx, args[0])
			if err != nil {
				return err
			}
			if c.json() {
				return c.printJSON(map[string]string{"name": args[0], "source": string(src)})
			}
			_, err = c.stdout.Write(src)
			return err
		}
	}}

var scriptsPutCmd = command{name: "scripts put", args: "[NAME] FILE", minArgs: 1, maxArgs: 2,
	summary: "upload a script: compiled, stored and swapped in (PUT /v1/scripts/{name})",
	help: `FILE "-" reads standard input. Without NAME the name is FILE's stem
(scripts put ./my_auth.lua uploads handler my_auth). A script that does not
compile is refused with its errors, and the previous version stays.`,
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, args []string) error {
			file := args[len(args)-1]
			name := strings.TrimSuffix(filepath.Base(file), ".lua")
			if len(args) == 2 {
				name = args[0]
			} else if file == "-" {
				return usagef("reading standard input needs a NAME")
			}
			src, err := readSource(file)
			if err != nil {
				return err
			}
			st, err := c.api.PutScript(ctx, name, src)
			if err != nil {
				return err
			}
			if c.json() {
				return c.printJSON(st)
			}
			fmt.Fprintf(c.stdout, "script %s %s (sha256 %s)\n", st.Name, st.Status, st.SHA256)
			return nil
		}
	}}

func readSource(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(file)
}

var scriptsDeleteCmd = command{name: "scripts delete", args: "NAME", minArgs: 1, maxArgs: 1,
	summary: "delete a script that is not bound (DELETE /v1/scripts/{name})",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, args []string) error {
			if err := c.api.DeleteScript(ctx, args[0]); err != nil {
				return err
			}
			return c.done(map[string]string{"deleted": args[0]}, "deleted script %s", args[0])
		}
	}}

var scriptsReloadCmd = command{name: "scripts reload", maxArgs: 0,
	summary: "re-read the scripts directory, all or nothing (POST /v1/scripts/reload)",
	setup: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, c *ctl, _ []string) error {
			list, err := c.api.ReloadScripts(ctx)
			if err != nil {
				return err
			}
			if !c.json() {
				fmt.Fprintf(c.stdout, "reloaded %d scripts\n", len(list))
			}
			return c.printScripts(list)
		}
	}}
