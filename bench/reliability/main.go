// Command reliability is what `make reliability` runs: a bounded run of the
// real sandgate binary that measures what one client can do to the gateway
// and to other sandboxes (the limits of docs/config.md) and writes
// RELIABILITY.md and a JSON file with the figures of this machine.
//
// Six phases, each with a fresh gateway and its own flags: a trickle flood
// of unauthenticated connections, idle authenticated keep-alive connections,
// a noisy neighbour, a memory-bomb handler, the repository's fuzz targets,
// and a soak with the scripts swapped many times a second. Progress goes to
// stderr. Every loop is bounded in count and time, and the whole run by
// -deadline.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	fs := flag.NewFlagSet("reliability", flag.ExitOnError)
	var o Options
	o.register(fs)
	_ = fs.Parse(os.Args[1:])
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, &o, command(fs)); err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(1)
	}
}

// run measures and writes the results; an error means nothing could be
// measured or written (a failed phase is a result, not an error).
func run(ctx context.Context, o *Options, cmd string) error {
	res, err := runAll(ctx, o, os.Stderr, cmd)
	if err != nil {
		return err
	}
	if o.JSON != "" {
		if err := writeJSON(o.JSON, res); err != nil {
			return err
		}
	}
	if o.Out != "" {
		if err := render(o.Out, res); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "reliability: wrote %s\n", o.Out)
	}
	return nil
}

// command is how the run was started, for the report.
func command(fs *flag.FlagSet) string {
	c := strings.Join(append([]string{"go run ./bench/reliability"}, flagsSet(fs)...), " ")
	if os.Getenv("MAKELEVEL") != "" {
		target := "make reliability"
		if f := fs.Lookup("phases"); f != nil && f.Value.String() == "fuzz" {
			target = "make fuzz"
		}
		c = target + ": " + c
	}
	return c
}
