package admin

import (
	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/proxy"
	"github.com/sandgate/sandgate/proxy/policy"
)

type bindingView struct {
	Handler string `json:"handler"`
	Params  any    `json:"params,omitempty"`
	Source  string `json:"source"` // class or runtime
}

type policyView struct {
	InterceptHTTPS     bool                   `json:"intercept_https"`
	EnableInternet     bool                   `json:"enable_internet"`
	DenyStatus         int                    `json:"deny_status"`
	AllowedHosts       []string               `json:"allowed_hosts"` // null: no allow list
	AllowedHostsSource string                 `json:"allowed_hosts_source,omitempty"`
	DeniedHosts        []string               `json:"denied_hosts"`
	OutboundByHost     map[string]bindingView `json:"outbound_by_host"`
	Outbound           *bindingView           `json:"outbound"`
}

type runtimeView struct {
	AllowedHosts   []string               `json:"allowed_hosts"`
	DeniedHosts    []string               `json:"denied_hosts"`
	OutboundByHost map[string]bindingView `json:"outbound_by_host"`
	Outbound       *bindingView           `json:"outbound"`
}

type sandboxView struct {
	sandboxSummary
	Policy  policyView  `json:"policy"`
	Runtime runtimeView `json:"runtime"`
}

// describe is a sandbox with its effective policy: the class merged with
// the runtime overrides, as the decision order sees them.
func describe(sb *proxy.Sandbox) sandboxView {
	c, o := sb.Class, sb.Overrides()
	p := policyView{InterceptHTTPS: c.Intercept, EnableInternet: c.EnableInternet, DenyStatus: c.DenyStatus,
		DeniedHosts: append(c.Denied.Strings(), o.Denied.Strings()...), OutboundByHost: map[string]bindingView{}}
	switch {
	case o.Allowed != nil:
		p.AllowedHosts, p.AllowedHostsSource = o.Allowed.Strings(), "runtime"
	case c.Allowed != nil:
		p.AllowedHosts, p.AllowedHostsSource = c.Allowed.Strings(), "class"
	}
	addBindings(p.OutboundByHost, c.ByHost, "class")
	rt := runtimeView{DeniedHosts: o.Denied.Strings(), OutboundByHost: map[string]bindingView{}}
	if o.Allowed != nil {
		rt.AllowedHosts = o.Allowed.Strings()
	}
	addBindings(rt.OutboundByHost, o.ByHost, "runtime")
	for k, v := range rt.OutboundByHost {
		p.OutboundByHost[k] = v
	}
	p.Outbound = view(c.Outbound, "class")
	if o.Outbound != nil {
		p.Outbound = view(o.Outbound, "runtime")
		rt.Outbound = p.Outbound
	}
	if p.DeniedHosts == nil {
		p.DeniedHosts = []string{}
	}
	if rt.DeniedHosts == nil {
		rt.DeniedHosts = []string{}
	}
	return sandboxView{sandboxSummary: summary(sb), Policy: p, Runtime: rt}
}

func addBindings(dst map[string]bindingView, t *hostpat.Table[*policy.Binding], source string) {
	if t == nil {
		return
	}
	for _, e := range t.Entries() {
		dst[e.Pattern.String()] = *view(e.Value, source)
	}
}

func view(b *policy.Binding, source string) *bindingView {
	if b == nil {
		return nil
	}
	return &bindingView{Handler: b.Handler, Params: b.Params, Source: source}
}
