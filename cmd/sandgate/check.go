package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/engine"
)

// configFlag parses "-config FILE" for check and serve. ok is false after
// printing usage (or --help); code is then the exit status.
func configFlag(name, help string, args []string, stderr io.Writer) (path string, code int, ok bool) {
	fs := flag.NewFlagSet("sandgate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&path, "config", "", "path to the YAML config file (required)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sandgate %s -config FILE\n\n%s\n\nFlags:\n", name, help)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", 0, false
		}
		return "", 2, false
	}
	if path == "" {
		fs.Usage()
		return "", 2, false
	}
	return path, 0, true
}

func checkCmd(args []string, stdout, stderr io.Writer) int {
	path, code, ok := configFlag("check",
		"Validates the config file (strictly: unknown keys are errors) and compiles every\nscript in scripts_dir, exactly as serve does, without starting anything.", args, stderr)
	if !ok {
		return code
	}
	cfg, err := config.Load(path)
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
	opts.MaxBodyBytes = cfg.Limits.MaxBodyBytes.Bytes
	opts.MaxStringBytes = int(cfg.Limits.MaxStringBytes.Bytes)
	opts.MaxMemory = cfg.Limits.MaxMemory.Bytes
	opts.HandlerConcurrency = cfg.Limits.HandlerConcurrency
	eng, err := engine.New(opts)
	if err != nil {
		return nil, scriptsError(cfg, err)
	}
	snap := eng.Snapshot()
	if err := cfg.CheckHandlers(snap.Has); err != nil {
		return nil, err
	}
	err = cfg.CheckParams(func(handler string, params any) error {
		if !snap.Has(handler) {
			return config.ErrSkip
		}
		return snap.CheckParams(handler, params)
	})
	if err != nil {
		return nil, err
	}
	return eng, nil
}

// scriptsError names each script that does not load by its path, line and
// column, one per line.
func scriptsError(cfg *config.Config, err error) error {
	var le *engine.LoadError
	if !errors.As(err, &le) {
		return fmt.Errorf("%s: scripts_dir %s: %w", cfg.File, cfg.ScriptsDir, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: scripts_dir %s: %d script(s) do not load:", cfg.File, cfg.ScriptsDir, len(le.Errors))
	for _, se := range le.Errors {
		se.File = filepath.Join(cfg.ScriptsDir, se.File)
		b.WriteString("\n" + se.Error())
	}
	return errors.New(b.String())
}
