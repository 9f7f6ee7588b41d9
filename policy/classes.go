package policy

import (
	"encoding/json"
	"fmt"

	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/engine/hostpat"
)

// Classes compiles the config's classes. The config was validated, so an
// error here is a bug or a config built by hand.
func Classes(cfg *config.Config) (map[string]*Class, error) {
	out := make(map[string]*Class, len(cfg.Classes))
	for name, cc := range cfg.Classes {
		c, err := compileClass(name, cc)
		if err != nil {
			return nil, fmt.Errorf("policy: class %s: %w", name, err)
		}
		out[name] = c
	}
	return out, nil
}

func compileClass(name string, cc *config.Class) (*Class, error) {
	c := &Class{Name: name, Intercept: cc.Intercept(), EnableInternet: cc.EnableInternet, DenyStatus: cc.DenyStatus,
		MaxConns: cc.MaxConnections}
	if rl := cc.RateLimit; rl != nil {
		c.RateLimit = &RateLimit{Requests: rl.Requests, Per: rl.Per.Duration, Burst: rl.Burst}
		if c.RateLimit.Burst == 0 {
			c.RateLimit.Burst = rl.Requests
		}
	}
	if cc.AllowedHosts != nil {
		l, err := hostpat.ParseList(*cc.AllowedHosts)
		if err != nil {
			return nil, err
		}
		c.Allowed = &l
	}
	var err error
	if c.Denied, err = hostpat.ParseList(cc.DeniedHosts); err != nil {
		return nil, err
	}
	if c.TCPHosts, err = hostpat.ParseList(cc.TCPHosts); err != nil {
		return nil, err
	}
	if len(cc.OutboundByHost) > 0 {
		c.ByHost = &hostpat.Table[*Binding]{}
		for pat, b := range cc.OutboundByHost {
			p, err := hostpat.Parse(pat)
			if err != nil {
				return nil, err
			}
			nb, err := NewBinding(b.Handler, b.Params)
			if err != nil {
				return nil, err
			}
			c.ByHost.Set(p, nb)
		}
	}
	if cc.Outbound != nil {
		if c.Outbound, err = NewBinding(cc.Outbound.Handler, cc.Outbound.Params); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// NewBinding normalizes params to what encoding/json would decode (so YAML
// and admin JSON bindings look alike to a script).
func NewBinding(handler string, params any) (*Binding, error) {
	if params == nil {
		return &Binding{Handler: handler}, nil
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("params of %s: %w", handler, err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("params of %s: %w", handler, err)
	}
	return &Binding{Handler: handler, Params: v}, nil
}
