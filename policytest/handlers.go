package policytest

import (
	"bytes"
	"log/slog"

	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/engine"
)

// handlers is an engine over one folder of handlers, whose fetch, secrets
// and logs go to the run in progress.
type handlers struct {
	dir  string
	cfg  *config.Config // nil without -config
	eng  *engine.Engine
	fake *fakes
}

func loadHandlers(dir string, cfg *config.Config, logs *bytes.Buffer) (*handlers, error) {
	f := &fakes{logs: logs}
	opts := engine.Options{Dir: dir, Transport: f, Secrets: f, Logger: newLogger(logs)}
	if cfg != nil {
		opts.HandlerTimeout = cfg.Limits.HandlerTimeout.Duration
		opts.MaxBodyBytes = cfg.Limits.MaxBodyBytes.Bytes
		opts.MaxStringBytes = int(cfg.Limits.MaxStringBytes.Bytes)
	}
	eng, err := engine.New(opts)
	if err != nil {
		return nil, loadError(dir, err)
	}
	return &handlers{dir: dir, cfg: cfg, eng: eng, fake: f}, nil
}

// newLogger writes log lines without their time, so that test output
// reads the same from run to run.
func newLogger(w *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}
