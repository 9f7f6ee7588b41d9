package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/proxy/config"
)

func configFlags(name string, stderr io.Writer, help string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("sandgate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "path to the YAML config file (required)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sandgate %s -config FILE\n\n%s\n\nFlags:\n", name, help)
		fs.PrintDefaults()
	}
	return fs, path
}

func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs, path := configFlags("check", stderr,
		"Validates the config file (strictly: unknown keys are errors) and compiles every\nscript in scripts_dir, exactly as serve does, without starting anything.")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fs.Usage()
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	eng, err := loadScripts(cfg, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK (%d classes, %d scripts, secrets backend %s)\n",
		cfg.File, len(cfg.Classes), len(eng.Snapshot().Names()), cfg.Secrets.Backend)
	return 0
}

// loadScripts is the part of startup that check and serve share after the
// config: every script compiled and every binding resolved.
func loadScripts(cfg *config.Config, opts engine.Options) (*engine.Engine, error) {
	opts.Dir = cfg.ScriptsDir
	opts.HandlerTimeout = cfg.Limits.HandlerTimeout.Duration
	opts.MaxBodyBytes = cfg.Limits.MaxBodyBytes
	opts.MaxStringBytes = cfg.Limits.MaxStringBytes
	eng, err := engine.New(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: scripts_dir %s: %w", cfg.File, cfg.ScriptsDir, err)
	}
	if err := cfg.CheckHandlers(eng.Snapshot().Has); err != nil {
		return nil, err
	}
	return eng, nil
}
