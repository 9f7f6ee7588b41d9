package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"

	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/policytest"
)

const testHelp = `Runs policy tests: every *_test.lua file in the PATHs (files or folders;
default ./scripts). Handlers are the scripts of -config's scripts_dir, or else
the other .lua files in each test file's folder. Nothing leaves the machine.

Exit status: 0 if every test passes, 1 if one fails, 2 for a usage error or a
file that does not load.`

func testCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sandgate test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file: its scripts_dir holds the handlers, its classes the deny_status")
	run := fs.String("run", "", "run only the tests whose FILE/NAME matches this regular expression")
	verbose := fs.Bool("v", false, "print a line for every test, passing ones too")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sandgate test [-config FILE] [-run REGEXP] [-v] [PATH ...]\n\n%s\n\nFlags:\n", testHelp)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	opts := policytest.Options{Verbose: *verbose, Out: stdout, Err: stderr}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fmt.Fprintf(stderr, "sandgate test: -run: %v\n", err)
			return 2
		}
		opts.Run = re
	}
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		opts.Config = cfg
	}
	sum, err := policytest.Run(opts, fs.Args())
	switch {
	case err != nil:
		fmt.Fprintln(stderr, "sandgate test:", err)
		return 2
	case sum.Broken > 0:
		return 2
	case sum.Failed > 0:
		return 1
	}
	return 0
}
