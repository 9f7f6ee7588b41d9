package admin

import (
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
)

type bindingRequest struct {
	Handler string `json:"handler"`
	Params  any    `json:"params"`
}

// binding decodes and checks a binding body; it answers the error itself.
func (a *API) binding(w http.ResponseWriter, r *http.Request) (*policy.Binding, bool) {
	var body bindingRequest
	if err := decodeJSON(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	if body.Handler == "" {
		writeError(w, http.StatusBadRequest, "field \"handler\" is required")
		return nil, false
	}
	if body.Params != nil {
		if _, ok := body.Params.(map[string]any); !ok {
			writeError(w, http.StatusBadRequest, "field \"params\" must be a JSON object")
			return nil, false
		}
	}
	if !a.opts.Scripts.Has(body.Handler) {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("unknown handler %q", body.Handler))
		return nil, false
	}
	if err := a.opts.Scripts.CheckParams(body.Handler, body.Params); err != nil {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("handler %s: %v", body.Handler, err))
		return nil, false
	}
	return &policy.Binding{Handler: body.Handler, Params: body.Params}, true
}

func (a *API) setOutbound(w http.ResponseWriter, r *http.Request) {
	sb, ok := a.sandbox(w, r)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.binding(w, r)
	if !ok {
		return
	}
	if !a.update(w, r, sb, func(o *policy.Overrides) error { o.Outbound = b; return nil }) {
		return
	}
	a.log.Info("outbound set", "sandbox", sb.ID, "handler", b.Handler)
	writeSandbox(w, sb)
}

func (a *API) clearOutbound(w http.ResponseWriter, r *http.Request) {
	sb, ok := a.sandbox(w, r)
	if !ok {
		return
	}
	if !a.update(w, r, sb, func(o *policy.Overrides) error { o.Outbound = nil; return nil }) {
		return
	}
	w.Header().Set("ETag", sb.ETag())
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) setByHost(w http.ResponseWriter, r *http.Request) {
	sb, p, ok := a.sandboxPattern(w, r)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.binding(w, r)
	if !ok {
		return
	}
	if !sb.Class.Intercept && p.Port() == 443 {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf(
			"class %s has intercept_https: false, so a handler bound to %s could never run", sb.Class.Name, p))
		return
	}
	ok = a.update(w, r, sb, func(o *policy.Overrides) error {
		if o.ByHost == nil {
			o.ByHost = &hostpat.Table[*policy.Binding]{}
		}
		o.ByHost.Set(p, b)
		return nil
	})
	if !ok {
		return
	}
	a.log.Info("outbound-by-host set", "sandbox", sb.ID, "pattern", p.String(), "handler", b.Handler)
	writeSandbox(w, sb)
}

// sandboxPattern resolves the {id} and {pattern} of a by-host route; it
// answers the error itself.
func (a *API) sandboxPattern(w http.ResponseWriter, r *http.Request) (*sandbox.Sandbox, hostpat.Pattern, bool) {
	sb, ok := a.sandbox(w, r)
	if !ok {
		return nil, hostpat.Pattern{}, false
	}
	p, err := hostpat.Parse(r.PathValue("pattern"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, hostpat.Pattern{}, false
	}
	return sb, p, true
}

func (a *API) clearByHost(w http.ResponseWriter, r *http.Request) {
	sb, p, ok := a.sandboxPattern(w, r)
	if !ok {
		return
	}
	ok = a.update(w, r, sb, func(o *policy.Overrides) error {
		if o.ByHost == nil || !o.ByHost.Delete(p.String()) {
			return &statusError{http.StatusNotFound, fmt.Sprintf("sandbox %s has no binding for %s", sb.ID, p)}
		}
		return nil
	})
	if !ok {
		return
	}
	w.Header().Set("ETag", sb.ETag())
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) setAllowed(w http.ResponseWriter, r *http.Request) { a.setHosts(w, r, true) }
func (a *API) setDenied(w http.ResponseWriter, r *http.Request)  { a.setHosts(w, r, false) }

func (a *API) setHosts(w http.ResponseWriter, r *http.Request, allow bool) {
	sb, ok := a.sandbox(w, r)
	if !ok {
		return
	}
	list, ok := hostList(w, r, false)
	if !ok {
		return
	}
	ok = a.update(w, r, sb, func(o *policy.Overrides) error {
		switch {
		case allow:
			o.Allowed = list
		case list == nil:
			o.Denied = nil
		default:
			o.Denied = *list
		}
		return nil
	})
	if ok {
		writeSandbox(w, sb)
	}
}

// hostList decodes a body that is a list of host patterns or null (nil);
// with needPort, every pattern must end in a port. It answers a bad body
// itself.
func hostList(w http.ResponseWriter, r *http.Request, needPort bool) (*hostpat.List, bool) {
	pats, err := patternList(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	if pats == nil {
		return nil, true
	}
	l, err := hostpat.ParseList(*pats)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	for _, p := range l {
		if needPort && p.Port() == 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("tcp_hosts pattern %q needs a port (host:port, e.g. github.com:22)", p))
			return nil, false
		}
	}
	return &l, true
}

// update changes the sandbox's runtime policy through the registry (the
// store first), honouring If-Match; it answers a failure itself.
func (a *API) update(w http.ResponseWriter, r *http.Request, sb *sandbox.Sandbox, fn func(*policy.Overrides) error) bool {
	if _, err := a.opts.Registry.Update(r.Context(), sb.ID, r.Header.Get("If-Match"), fn); err != nil {
		a.fail(w, "changing sandbox "+sb.ID, err)
		return false
	}
	return true
}

// bound lists where each handler is bound: classes and sandboxes.
func (a *API) bound() map[string][]string {
	out := map[string][]string{}
	for _, b := range a.bindings() {
		out[b.Handler] = append(out[b.Handler], b.Where)
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// bindings lists every binding in use, with its params: the classes' and
// every sandbox's runtime ones.
func (a *API) bindings() []engine.Binding {
	return Bindings(a.opts.ClassBindings, a.opts.Registry)
}

// Bindings is classes (the config's bindings) followed by every sandbox's
// runtime bindings, each named by where it is: what a script replacement
// is checked against.
func Bindings(classes []engine.Binding, reg *sandbox.Registry) []engine.Binding {
	out := slices.Clone(classes)
	for _, sb := range reg.List() {
		o := sb.Overrides()
		if o.Outbound != nil {
			out = append(out, engine.Binding{Where: "sandbox " + sb.ID + " outbound",
				Handler: o.Outbound.Handler, Params: o.Outbound.Params})
		}
		if o.ByHost != nil {
			for _, e := range o.ByHost.Entries() {
				out = append(out, engine.Binding{Where: "sandbox " + sb.ID + " outbound-by-host " + e.Pattern.String(),
					Handler: e.Value.Handler, Params: e.Value.Params})
			}
		}
	}
	return out
}
