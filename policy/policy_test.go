package policy

import (
	"testing"

	"github.com/sandgate/sandgate/engine/hostpat"
)

func list(t *testing.T, pats ...string) *hostpat.List {
	t.Helper()
	l, err := hostpat.ParseList(pats)
	if err != nil {
		t.Fatal(err)
	}
	return &l
}

func table(t *testing.T, m map[string]string) *hostpat.Table[*Binding] {
	t.Helper()
	tb := &hostpat.Table[*Binding]{}
	for p, h := range m {
		tb.Set(hostpat.MustParse(p), &Binding{Handler: h})
	}
	return tb
}

func TestDecisionOrder(t *testing.T) {
	class := &Class{
		Name: "c", Intercept: true, DenyStatus: 403,
		Allowed: list(t, "github.com", "*.github.com", "api.example.com", "10.0.0.0/8"),
		Denied:  hostpat.List(*list(t, "evil.github.com")),
		ByHost:  table(t, map[string]string{"api.github.com": "class_gh", "*.github.com": "class_glob"}),
	}
	runtime := &Overrides{
		Denied: hostpat.List(*list(t, "gist.github.com")),
		ByHost: table(t, map[string]string{"api.github.com:443": "rt_port", "raw.github.com": "rt_exact", "10.1.0.0/16": "rt_cidr"}),
	}
	withCatchAll := &Overrides{Outbound: &Binding{Handler: "rt_all"}}
	classCatchAll := *class
	classCatchAll.Outbound = &Binding{Handler: "class_all"}
	open := &Class{Name: "open", EnableInternet: true, DenyStatus: 403}

	for _, tc := range []struct {
		name     string
		class    *Class
		ov       *Overrides
		host     string
		port     int
		handlers bool
		action   Action
		reason   string
		handler  string
	}{
		{"class deny wins over everything", class, runtime, "evil.github.com", 443, true, Deny, ReasonDenied, ""},
		{"runtime deny adds", class, runtime, "gist.github.com", 443, true, Deny, ReasonDenied, ""},
		{"not in allowed list", class, runtime, "example.org", 443, true, Deny, ReasonNotAllowed, ""},
		{"handler does not allow its own host", &Class{Name: "x", Allowed: list(t), ByHost: table(t, map[string]string{"a.com": "h"})}, nil, "a.com", 443, true, Deny, ReasonNotAllowed, ""},
		{"runtime exact with port first", class, runtime, "api.github.com", 443, true, Run, "", "rt_port"},
		{"runtime binding before class", class, runtime, "raw.github.com", 443, true, Run, "", "rt_exact"},
		{"runtime cidr", class, runtime, "10.1.2.3", 80, true, Run, "", "rt_cidr"},
		{"class exact beats class glob", class, &Overrides{}, "api.github.com", 80, true, Run, "", "class_gh"},
		{"class glob", class, &Overrides{}, "docs.github.com", 443, true, Run, "", "class_glob"},
		{"runtime catch-all before class catch-all", &classCatchAll, withCatchAll, "github.com", 443, true, Run, "", "rt_all"},
		{"class catch-all", &classCatchAll, nil, "github.com", 443, true, Run, "", "class_all"},
		{"allowed forwards", class, nil, "github.com", 443, true, Forward, "", ""},
		{"handlers skipped when not intercepted", class, runtime, "api.github.com", 443, false, Forward, "", ""},
		{"enable_internet forwards", open, nil, "example.org", 443, true, Forward, "", ""},
		{"no route", &Class{Name: "closed"}, nil, "example.org", 443, true, Deny, ReasonNoRoute, ""},
		{"runtime allow list replaces class list", class, &Overrides{Allowed: list(t, "example.org")}, "github.com", 443, true, Deny, ReasonNotAllowed, ""},
		{"runtime allow list allows", class, &Overrides{Allowed: list(t, "example.org")}, "example.org", 443, true, Forward, "", ""},
		{"runtime allow list cannot lift class deny", class, &Overrides{Allowed: list(t, "*")}, "evil.github.com", 443, true, Deny, ReasonDenied, ""},
		{"empty allow list allows nothing", &Class{Name: "e", EnableInternet: true, Allowed: list(t)}, nil, "example.org", 443, true, Deny, ReasonNotAllowed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.class, tc.ov, tc.host, tc.port, tc.handlers)
			if d.Action != tc.action || d.Reason != tc.reason {
				t.Fatalf("got %v/%q (%s), want %v/%q", d.Action, d.Reason, d.Rule, tc.action, tc.reason)
			}
			got := ""
			if d.Binding != nil {
				got = d.Binding.Handler
			}
			if got != tc.handler {
				t.Errorf("got handler %q, want %q", got, tc.handler)
			}
		})
	}
}

func TestNewBindingNormalizesParams(t *testing.T) {
	b, err := NewBinding("h", map[string]any{"n": 1, "l": []any{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	m := b.Params.(map[string]any)
	if _, ok := m["n"].(float64); !ok {
		t.Errorf("got %T for a number, want float64", m["n"])
	}
}
