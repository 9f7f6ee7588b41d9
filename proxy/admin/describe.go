package admin

import (
	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/proxy"
	"github.com/sandgate/sandgate/proxy/admin/client"
	"github.com/sandgate/sandgate/proxy/policy"
)

// describe is a sandbox with its effective policy: the class merged with
// the runtime overrides, as the decision order sees them. The answer uses
// the admin client's types, so what the server writes is what it reads.
func describe(sb *proxy.Sandbox) client.Sandbox {
	c, o := sb.Class, sb.Overrides()
	p := client.Policy{InterceptHTTPS: c.Intercept, EnableInternet: c.EnableInternet, DenyStatus: c.DenyStatus,
		DeniedHosts: append(c.Denied.Strings(), o.Denied.Strings()...), OutboundByHost: map[string]client.Binding{}}
	switch {
	case o.Allowed != nil:
		p.AllowedHosts, p.AllowedHostsSource = o.Allowed.Strings(), "runtime"
	case c.Allowed != nil:
		p.AllowedHosts, p.AllowedHostsSource = c.Allowed.Strings(), "class"
	}
	addBindings(p.OutboundByHost, c.ByHost, "class")
	rt := client.Runtime{DeniedHosts: o.Denied.Strings(), OutboundByHost: map[string]client.Binding{}}
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
	return client.Sandbox{SandboxSummary: summary(sb), Policy: p, Runtime: rt}
}

func addBindings(dst map[string]client.Binding, t *hostpat.Table[*policy.Binding], source string) {
	if t == nil {
		return
	}
	for _, e := range t.Entries() {
		dst[e.Pattern.String()] = *view(e.Value, source)
	}
}

// view is a binding as the API shows it. Params are always a JSON object
// (the admin API and the config accept nothing else).
func view(b *policy.Binding, source string) *client.Binding {
	if b == nil {
		return nil
	}
	params, _ := b.Params.(map[string]any)
	return &client.Binding{Handler: b.Handler, Params: params, Source: source}
}
