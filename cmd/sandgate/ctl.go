package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/sandgate/sandgate/admin/client"
)

// ctl is one run of `sandgate ctl`: the global flags, the admin client
// and where output goes.
type ctl struct {
	url, token, output string
	stdout, stderr     io.Writer
	api                *client.Client
}

// runFunc runs a command with its positional arguments.
type runFunc func(ctx context.Context, c *ctl, args []string) error

// command is one `sandgate ctl` subcommand.
type command struct {
	name    string // "sandbox create"
	args    string // "[ID]"
	summary string
	help    string
	// minArgs and maxArgs bound the positional arguments (-1: no bound).
	minArgs, maxArgs int
	// stream commands run without the per-call time-out.
	stream bool
	// setup registers the command's own flags and returns its run.
	setup func(fs *flag.FlagSet) runFunc
}

// callTimeout bounds one admin API call.
const callTimeout = 30 * time.Second

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

const ctlIntro = `sandgate ctl: drive a running gateway through its admin API.

Usage:
  sandgate ctl [--url URL] [--token TOKEN] [-o table|json] COMMAND [ARGS] [FLAGS]

The admin API is SANDGATE_ADMIN_URL (default ` + client.DefaultURL + `), the token
SANDGATE_ADMIN_TOKEN; --url and --token override them. Output is a readable table;
-o json prints the API's answer as JSON. Exit status: 0 ok, 1 API or runtime error,
2 usage error.

Commands:
`

func ctlCmd(args []string, stdout, stderr io.Writer) int {
	c := &ctl{stdout: stdout, stderr: stderr}
	top := flag.NewFlagSet("sandgate ctl", flag.ContinueOnError)
	top.SetOutput(stderr)
	top.Usage = func() {}
	c.globalFlags(top, envOr("SANDGATE_ADMIN_URL", client.DefaultURL), os.Getenv("SANDGATE_ADMIN_TOKEN"), "table")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommands(stdout, "")
			return 0
		}
		fmt.Fprintln(stderr, "Run 'sandgate ctl --help' for usage.")
		return 2
	}
	cmd, rest := findCommand(top.Args())
	if cmd == nil {
		return c.unknown(top.Args())
	}
	return c.run(cmd, rest)
}

func envOr(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}

func (c *ctl) globalFlags(fs *flag.FlagSet, url, token, output string) {
	fs.StringVar(&c.url, "url", url, "admin API URL (default $SANDGATE_ADMIN_URL or "+client.DefaultURL+")")
	fs.StringVar(&c.token, "token", token, "admin token (default $SANDGATE_ADMIN_TOKEN)")
	fs.StringVar(&c.output, "o", output, "output format: table or json")
}

// findCommand matches the longest command name at the start of args.
func findCommand(args []string) (*command, []string) {
	for n := min(2, len(args)); n > 0; n-- {
		name := strings.Join(args[:n], " ")
		for i := range commands {
			if commands[i].name == name {
				return &commands[i], args[n:]
			}
		}
	}
	return nil, nil
}

// unknown answers a missing or unknown command: the group's commands for
// "sandgate ctl sandbox" or "sandbox --help", a usage error otherwise.
func (c *ctl) unknown(args []string) int {
	if len(args) == 0 {
		printCommands(c.stderr, "")
		return 2
	}
	group := args[0]
	if hasGroup(group) {
		if len(args) > 1 && isHelp(args[1]) {
			printCommands(c.stdout, group)
			return 0
		}
		if len(args) > 1 {
			fmt.Fprintf(c.stderr, "sandgate ctl: unknown command %q\n\n", group+" "+args[1])
		}
		printCommands(c.stderr, group)
		return 2
	}
	fmt.Fprintf(c.stderr, "sandgate ctl: unknown command %q\nRun 'sandgate ctl --help' for the list.\n", group)
	return 2
}

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "-help" || s == "help" }

func hasGroup(g string) bool {
	for _, cmd := range commands {
		if strings.HasPrefix(cmd.name, g+" ") {
			return true
		}
	}
	return false
}

func printCommands(w io.Writer, group string) {
	fmt.Fprint(w, ctlIntro)
	for _, cmd := range commands {
		if group == "" || strings.HasPrefix(cmd.name, group+" ") {
			fmt.Fprintf(w, "  %-36s %s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
		}
	}
	fmt.Fprint(w, "\nRun 'sandgate ctl COMMAND --help' for a command's arguments and flags.\n")
}

// run parses the command's flags (anywhere among its arguments) and runs it.
func (c *ctl) run(cmd *command, args []string) int {
	fs := flag.NewFlagSet("sandgate ctl "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {}
	c.globalFlags(fs, c.url, c.token, c.output)
	runFn := cmd.setup(fs)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		cmd.printHelp(c.stdout, fs)
		return 0
	}
	if err == nil {
		err = cmd.checkArgs(pos)
	}
	if err == nil && c.output != "table" && c.output != "json" {
		err = usagef("-o %q: want table or json", c.output)
	}
	if err != nil {
		if _, ok := err.(usageError); ok {
			fmt.Fprintf(c.stderr, "sandgate ctl %s: %v\n", cmd.name, err)
		}
		fmt.Fprintf(c.stderr, "Usage: sandgate ctl %s\nRun 'sandgate ctl %s --help' for more.\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.name)
		return 2
	}
	c.api = client.New(c.url, c.token)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !cmd.stream {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, callTimeout)
		defer cancel()
	}
	if err := runFn(ctx, c, pos); err != nil {
		if _, ok := err.(usageError); ok {
			fmt.Fprintf(c.stderr, "sandgate ctl %s: %v\nRun 'sandgate ctl %s --help' for usage.\n", cmd.name, err, cmd.name)
			return 2
		}
		fmt.Fprintf(c.stderr, "sandgate ctl %s: %s\n", cmd.name, c.explain(err))
		return 1
	}
	return 0
}

func (cmd *command) checkArgs(pos []string) error {
	switch {
	case len(pos) < cmd.minArgs:
		return usagef("missing arguments: want %s", cmd.args)
	case cmd.maxArgs >= 0 && len(pos) > cmd.maxArgs:
		return usagef("too many arguments: %q", pos[cmd.maxArgs:])
	}
	return nil
}

func (cmd *command) printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: sandgate ctl %s [FLAGS]\n\n%s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	if cmd.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(cmd.help))
	}
	fmt.Fprint(w, "\nFlags:\n")
	// Show the global flags' documented defaults, not the values taken
	// from the environment: the token must not end up in a terminal.
	fs.Lookup("token").DefValue = ""
	fs.Lookup("url").DefValue = ""
	fs.Lookup("o").DefValue = "table"
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, which it returns. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// keyValues parses repeated key=value flags.
func keyValues(flagName string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--%s %q: want key=value", flagName, kv)
		}
		out[k] = v
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
