package proxy

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sandgate/sandgate/engine"
)

func TestIsHandlerTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"time limit", &engine.HandlerError{Handler: "h", Err: errors.New("exceeded time limit 250ms"), Timeout: true}, true},
		{"wrapped", fmt.Errorf("run: %w", &engine.HandlerError{Handler: "h", Err: errors.New("x"), Timeout: true}), true},
		{"lua error", &engine.HandlerError{Handler: "h", Err: errors.New("x.lua:3: boom")}, false},
		{"fetch", &engine.FetchError{Handler: "h", Err: errors.New("exceeded time limit")}, false},
		{"unknown", engine.ErrUnknownHandler, false},
	} {
		if got := isHandlerTimeout(tc.err); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
