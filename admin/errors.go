package admin

import (
	"errors"
	"net/http"

	"github.com/sandgate/sandgate/sandbox"
	"github.com/sandgate/sandgate/state"
)

// statusError is a refusal a handler decides itself (inside a registry
// update, say), with its status and message.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// statusOf maps an error of the registry or the state store to its admin
// status; 0 means "not one of ours" (an internal error).
func statusOf(err error) int {
	var se *statusError
	switch {
	case errors.As(err, &se):
		return se.code
	case state.IsUnavailable(err):
		return http.StatusServiceUnavailable
	case errors.Is(err, sandbox.ErrSandboxNotFound):
		return http.StatusNotFound
	case errors.Is(err, sandbox.ErrSandboxExists), errors.Is(err, sandbox.ErrSourceInUse):
		return http.StatusConflict
	case errors.Is(err, sandbox.ErrUnknownClass):
		return http.StatusUnprocessableEntity
	case errors.Is(err, sandbox.ErrStale):
		return http.StatusPreconditionFailed
	}
	return 0
}

// fail answers err: its mapped status and message, or a 500 that says
// what failed (the detail goes to the log only).
func (a *API) fail(w http.ResponseWriter, what string, err error) {
	code := statusOf(err)
	if code == 0 {
		a.log.Error(what+" failed", "err", err.Error())
		writeError(w, http.StatusInternalServerError, what+" failed")
		return
	}
	if code == http.StatusServiceUnavailable {
		a.log.Warn(what+" failed: state store unavailable", "err", err.Error())
		var ue *state.UnavailableError
		errors.As(err, &ue)
		writeError(w, code, ue.Error())
		return
	}
	writeError(w, code, err.Error())
}
