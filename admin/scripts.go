package admin

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/sandgate/sandgate/admin/client"
	"github.com/sandgate/sandgate/engine"
)

func (a *API) scriptViews() []client.Script {
	bound := a.bound()
	names := a.opts.Scripts.Names()
	sort.Strings(names)
	out := make([]client.Script, 0, len(names))
	for _, n := range names {
		sum, _ := a.opts.Scripts.SHA256(n)
		where := bound[n]
		if where == nil {
			where = []string{}
		}
		params, _ := a.opts.Scripts.Params(n)
		out = append(out, client.Script{Name: n, SHA256: sum, BoundAt: where, Params: paramsView(params)})
	}
	return out
}

// paramsView is a script's declared params as the API shows them; nil (JSON
// null) for a script that accepts any params.
func paramsView(ps engine.Params) map[string]client.Param {
	if ps == nil {
		return nil
	}
	out := make(map[string]client.Param, len(ps))
	for name, p := range ps {
		out[name] = client.Param{Type: string(p.Type), Required: p.Required, Default: p.Default}
	}
	return out
}

func (a *API) listScripts(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"scripts": a.scriptViews()})
}

func (a *API) getScript(w http.ResponseWriter, r *http.Request) {
	src, ok := a.opts.Scripts.Source(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown script %q", r.PathValue("name")))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(src)
}

func (a *API) putScript(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	src, err := readBody(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.mu.Lock()
	err = a.opts.Scripts.Put(name, src, a.bindings())
	a.mu.Unlock()
	if err != nil {
		a.scriptError(w, name, err)
		return
	}
	sum, _ := a.opts.Scripts.SHA256(name)
	a.log.Info("script put", "script", name, "sha256", sum)
	writeJSON(w, http.StatusOK, client.ScriptStatus{Name: name, SHA256: sum, Status: "loaded"})
}

func (a *API) deleteScript(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.opts.Scripts.Has(name) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown script %q", name))
		return
	}
	if where := a.bound()[name]; len(where) > 0 {
		writeError(w, http.StatusConflict, fmt.Sprintf("script %q is still bound: %s", name, strings.Join(where, ", ")))
		return
	}
	if err := a.opts.Scripts.Delete(name); err != nil {
		a.scriptError(w, name, err)
		return
	}
	a.log.Info("script deleted", "script", name)
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) reloadScripts(w http.ResponseWriter, _ *http.Request) {
	if err := a.Reload(); err != nil {
		var le *engine.LoadError
		var be *engine.BindingError
		switch {
		case errors.As(err, &le):
			msgs := make([]string, len(le.Errors))
			for i, e := range le.Errors {
				msgs[i] = e.Error()
			}
			writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: "reload failed; the previous scripts stay in use", Errors: msgs})
		case errors.As(err, &be):
			writeJSON(w, http.StatusUnprocessableEntity, errorBody{
				Error:  "reload failed: the new scripts break bindings in use; the previous scripts stay in use: " + strings.Join(be.Problems, "; "),
				Errors: be.Problems})
		case statusOf(err) != 0:
			a.fail(w, "reloading scripts", err)
		default:
			writeError(w, http.StatusInternalServerError, "reload failed: "+err.Error())
		}
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "reloaded", "scripts": a.scriptViews()})
}

// Reload re-reads the scripts directory (also on SIGHUP).
func (a *API) Reload() error {
	a.mu.Lock()
	start := time.Now()
	err := a.opts.Scripts.Reload(a.bindings())
	a.mu.Unlock()
	if a.opts.OnReload != nil {
		a.opts.OnReload(err == nil)
	}
	if err != nil {
		a.log.Error("script reload failed; previous scripts stay", "err", err.Error())
		return err
	}
	a.log.Info("scripts reloaded", "scripts", len(a.opts.Scripts.Names()), "took", time.Since(start).String())
	return nil
}

func (a *API) scriptError(w http.ResponseWriter, name string, err error) {
	var le *engine.LoadError
	var be *engine.BindingError
	switch {
	case errors.As(err, &be):
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{
			Error:  fmt.Sprintf("script %s would break bindings in use; the previous version stays: %s", name, strings.Join(be.Problems, "; ")),
			Errors: be.Problems})
	case errors.As(err, &le):
		msgs := make([]string, len(le.Errors))
		for i, e := range le.Errors {
			msgs[i] = e.Error()
		}
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: "script does not compile; the previous version stays", Errors: msgs})
	case errors.Is(err, engine.ErrInvalidName):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid script name %q: use letters, digits, _ and - (128 at most)", name))
	case errors.Is(err, syscall.ENAMETOOLONG), errors.Is(err, syscall.EINVAL):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("script name %q cannot be a file name here", name))
	case errors.Is(err, engine.ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown script %q", name))
	case statusOf(err) != 0:
		a.fail(w, "changing script "+name, err)
	default:
		a.log.Error("script change failed", "script", name, "err", err.Error())
		writeError(w, http.StatusInternalServerError, "script change failed: "+err.Error())
	}
}

func (a *API) flushSecrets(w http.ResponseWriter, _ *http.Request) {
	if a.opts.Flush != nil {
		a.opts.Flush()
	}
	a.log.Info("secrets cache flushed")
	writeJSON(w, http.StatusOK, map[string]any{"status": "flushed"})
}

func (a *API) status(w http.ResponseWriter, _ *http.Request) {
	out := map[string]any{
		"uptime_seconds": int64(time.Since(a.started).Seconds()),
		"sandboxes":      a.opts.Registry.Len(),
		"scripts":        a.scriptViews(),
	}
	if a.opts.Status != nil {
		for k, v := range a.opts.Status() {
			out[k] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}
