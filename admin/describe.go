package admin

import (
	"github.com/sandgate/sandgate/admin/client"
	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/sandbox"
)

// describe is a sandbox with its effective policy: the class merged with
// the runtime overrides o, as the decision order sees them. The answer uses
// the admin client's types, so what the server writes is what it reads.
func describe(sb *sandbox.Sandbox, o *policy.Overrides) client.Sandbox {
	c := sb.Class
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
	p.TCPHosts, p.TCPHostsSource = c.TCPHosts.Strings(), "class"
	if o.TCPHosts != nil {
		p.TCPHosts, p.TCPHostsSource = o.TCPHosts.Strings(), "runtime"
		rt.TCPHosts = p.TCPHosts
	}
	p.MaxConnections = c.MaxConns
	if rl := policy.EffectiveRateLimit(c, o); rl != nil {
		p.RateLimit, p.RateLimitSource = rateView(rl), "class"
		if o.RateLimit != nil {
			p.RateLimitSource = "runtime"
			rt.RateLimit = p.RateLimit
		}
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

func rateView(rl *policy.RateLimit) *client.RateLimit {
	return &client.RateLimit{Requests: rl.Requests, Per: rl.Per.String(), Burst: rl.Burst}
}
