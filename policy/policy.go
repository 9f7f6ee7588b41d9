// Package policy holds the classes of the config file and the runtime
// overrides of one sandbox, and applies the decision order (denied hosts,
// allowed hosts, bindings, then the class's defaults) to a host. It knows
// nothing of HTTP or Lua: the proxy asks it
// what to do and does it.
package policy

import (
	"time"

	"github.com/sandgate/sandgate/engine/hostpat"
)

// Binding attaches a handler, with its params, to a host pattern or as a
// catch-all.
type Binding struct {
	Handler string `json:"handler"`
	Params  any    `json:"params,omitempty"`
}

// Class is a compiled policy template from the config file.
type Class struct {
	Name           string
	Intercept      bool
	EnableInternet bool
	// Allowed is nil when the class has no allow list.
	Allowed    *hostpat.List
	Denied     hostpat.List
	DenyStatus int
	// ByHost may be nil (no bindings).
	ByHost *hostpat.Table[*Binding]
	// Outbound is the catch-all; nil when none.
	Outbound *Binding
	// TCPHosts are the host:port patterns joined as raw TCP tunnels.
	TCPHosts hostpat.List
	// RateLimit is the sandbox request rate; nil: none.
	RateLimit *RateLimit
	// MaxConns caps a sandbox's open connections; 0: no cap.
	MaxConns int
}

// RateLimit is a token bucket: Requests per Per, with room for Burst.
type RateLimit struct {
	Requests int           `json:"requests"`
	Per      time.Duration `json:"per"`
	Burst    int           `json:"burst"`
}

// Overrides are one sandbox's runtime changes. A value is never modified
// after it is published: the admin API builds a new one and swaps it in.
type Overrides struct {
	// Allowed replaces the class's list when non-nil.
	Allowed *hostpat.List
	// Denied adds to the class's list.
	Denied hostpat.List
	// ByHost may be nil.
	ByHost *hostpat.Table[*Binding]
	// Outbound is the runtime catch-all; nil when none.
	Outbound *Binding
	// TCPHosts replaces the class's tcp_hosts when non-nil.
	TCPHosts *hostpat.List
	// RateLimit replaces the class's rate limit when non-nil.
	RateLimit *RateLimit
}

// Clone returns a copy that may be changed without affecting o.
func (o *Overrides) Clone() *Overrides {
	if o == nil {
		return &Overrides{}
	}
	c := *o
	if o.ByHost != nil {
		c.ByHost = o.ByHost.Clone()
	}
	return &c
}

// Action is what the proxy does with a request.
type Action int

const (
	// Deny answers with the deny response.
	Deny Action = iota
	// Forward sends the request upstream unchanged.
	Forward
	// Run runs the bound handler.
	Run
)

func (a Action) String() string {
	switch a {
	case Forward:
		return "allow"
	case Run:
		return "handler"
	}
	return "deny"
}

// Deny reasons, as the deny body and the Sandgate-Decision header name them.
const (
	ReasonDenied     = "denied_hosts"
	ReasonNotAllowed = "not_in_allowed_hosts"
	ReasonNoRoute    = "no_route"
	ReasonPrivate    = "private_address"
	ReasonHandler    = "handler"
)

// Decision is the outcome of the decision order.
type Decision struct {
	Action  Action
	Reason  string   // for Deny
	Binding *Binding // for Run
	// Rule says which step decided, for logs: "class denied_hosts",
	// "runtime outbound_by_host api.github.com", ...
	Rule string
}

// Decide applies steps 2 to 10 of the decision order to host (normalized,
// no port) and its effective port. With handlers false (a CONNECT that is
// not intercepted) steps 4 to 7 are skipped.
func Decide(c *Class, o *Overrides, host string, port int, handlers bool) Decision {
	if o == nil {
		o = &Overrides{}
	}
	if d, ok := Denied(c, o, host, port); ok {
		return d
	}
	allowed, listed := effectiveAllowed(c, o)
	inAllowed := listed && allowed.Match(host, port)
	if listed && !inAllowed {
		return Decision{Action: Deny, Reason: ReasonNotAllowed, Rule: "allowed_hosts"}
	}
	if handlers {
		if d, ok := bindingFor(c, o, host, port); ok {
			return d
		}
	}
	if inAllowed {
		return Decision{Action: Forward, Rule: "allowed_hosts"}
	}
	if c.EnableInternet {
		return Decision{Action: Forward, Rule: "enable_internet"}
	}
	return Decision{Action: Deny, Reason: ReasonNoRoute, Rule: "no route"}
}

func effectiveAllowed(c *Class, o *Overrides) (hostpat.List, bool) {
	if o.Allowed != nil {
		return *o.Allowed, true
	}
	if c.Allowed != nil {
		return *c.Allowed, true
	}
	return nil, false
}

// bindingFor is steps 4 to 7.
func bindingFor(c *Class, o *Overrides, host string, port int) (Decision, bool) {
	if o.ByHost != nil {
		if p, b, ok := o.ByHost.Lookup(host, port); ok {
			return Decision{Action: Run, Binding: b, Rule: "runtime outbound_by_host " + p.String()}, true
		}
	}
	if c.ByHost != nil {
		if p, b, ok := c.ByHost.Lookup(host, port); ok {
			return Decision{Action: Run, Binding: b, Rule: "class outbound_by_host " + p.String()}, true
		}
	}
	if o.Outbound != nil {
		return Decision{Action: Run, Binding: o.Outbound, Rule: "runtime outbound"}, true
	}
	if c.Outbound != nil {
		return Decision{Action: Run, Binding: c.Outbound, Rule: "class outbound"}, true
	}
	return Decision{}, false
}

// EffectiveRateLimit is the sandbox's rate limit: the runtime one, else the
// class's; nil when there is none.
func EffectiveRateLimit(c *Class, o *Overrides) *RateLimit {
	if o != nil && o.RateLimit != nil {
		return o.RateLimit
	}
	return c.RateLimit
}

// MatchTCP reports whether host:port is to be joined as a raw TCP tunnel
// (tcp_hosts, the runtime list replacing the class's) and names the rule
// for the audit line. Step 2 (denied_hosts) and the address guard still
// apply; allowed_hosts does not.
func MatchTCP(c *Class, o *Overrides, host string, port int) (rule string, ok bool) {
	list, prefix := c.TCPHosts, "tcp_hosts "
	if o != nil && o.TCPHosts != nil {
		list, prefix = *o.TCPHosts, "runtime tcp_hosts "
	}
	if p, ok := list.Find(host, port); ok {
		return prefix + p.String(), true
	}
	return "", false
}

// Denied is step 2 alone: host matches the class's or the runtime
// denied_hosts.
func Denied(c *Class, o *Overrides, host string, port int) (Decision, bool) {
	if c.Denied.Match(host, port) {
		return Decision{Action: Deny, Reason: ReasonDenied, Rule: "class denied_hosts"}, true
	}
	if o != nil && o.Denied.Match(host, port) {
		return Decision{Action: Deny, Reason: ReasonDenied, Rule: "runtime denied_hosts"}, true
	}
	return Decision{}, false
}
