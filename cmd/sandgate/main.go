// Command sandgate is an egress gateway for sandboxes: an intercepting
// proxy whose policies are Lua scripts and whose credentials come from
// Vault. `sandgate serve` runs it, `sandgate check` validates a config,
// `sandgate test` runs policy tests, `sandgate ctl` drives a running
// gateway's admin API.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `sandgate: an egress gateway for sandboxes

Usage:
  sandgate serve -config FILE    run the gateway (proxy and admin API)
  sandgate check -config FILE    validate the config and compile every script, start nothing
  sandgate test [-config FILE] [-run REGEXP] [-v] [PATH ...]
                                 run the policy tests (*_test.lua) in PATHs (default ./scripts)
  sandgate ctl COMMAND ...       drive a running gateway (see "sandgate ctl --help")
  sandgate state reseal -config FILE -new-key FILE
                                 re-seal every stored CA key under a new seal key file
  sandgate version               print the version

Run "sandgate COMMAND --help" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serveCmd(args[1:], stdout, stderr)
	case "check":
		return checkCmd(args[1:], stdout, stderr)
	case "test":
		return testCmd(args[1:], stdout, stderr)
	case "ctl":
		return ctlCmd(args[1:], stdout, stderr)
	case "state":
		return stateCmd(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "sandgate %s\n", version)
		return 0
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "sandgate: unknown command %q\n\n%s", args[0], usage)
	return 2
}
