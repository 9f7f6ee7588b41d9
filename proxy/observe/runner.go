package observe

import (
	"context"
	"errors"

	"github.com/sandgate/sandgate/engine"
)

// IsTimeout reports whether err is a handler stopped at its time limit.
func IsTimeout(err error) bool {
	var he *engine.HandlerError
	return errors.As(err, &he) && he.Timeout
}

// TimedRunner is an engine.Runner that counts handler time-outs.
type TimedRunner struct {
	engine.Runner
	Metrics *Metrics
}

// Run runs the call and counts it when it ran out of time.
func (t TimedRunner) Run(ctx context.Context, call *engine.Call) (engine.Result, error) {
	res, err := t.Runner.Run(ctx, call)
	if err != nil && IsTimeout(err) {
		t.Metrics.HandlerTimeout(call.Handler)
	}
	return res, err
}

var _ engine.Runner = TimedRunner{}
