package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte("version: 1\n"), "/etc/sandgate/sandgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"proxy.listen", c.Proxy.Listen, "127.0.0.1:3128"},
		{"admin.listen", c.Admin.Listen, "127.0.0.1:9180"},
		{"scripts_dir", c.ScriptsDir, "/etc/sandgate/scripts"},
		{"dial_timeout", c.Upstream.DialTimeout.Duration, 10 * time.Second},
		{"response_header_timeout", c.Upstream.ResponseHeaderTimeout.Duration, 60 * time.Second},
		{"handler_timeout", c.Limits.HandlerTimeout.Duration, 250 * time.Millisecond},
		{"max_body_bytes", c.Limits.MaxBodyBytes.Bytes, int64(10485760)},
		{"max_string_bytes", c.Limits.MaxStringBytes.Bytes, int64(16777216)},
		{"max_memory", c.Limits.MaxMemory.Bytes, int64(1 << 30)},
		{"handler_concurrency", c.Limits.HandlerConcurrency, 0},
		{"max_header_bytes", c.Proxy.MaxHeaderBytes.Bytes, int64(65536)},
		{"header_timeout", c.Proxy.HeaderTimeout.Duration, 10 * time.Second},
		{"max_pending_connections", c.Proxy.MaxPendingConns, 1000},
		{"idle_timeout", c.Proxy.IdleTimeout.Duration, 5 * time.Minute},
		{"tunnel_idle_timeout", c.Proxy.TunnelIdleTimeout.Duration, 5 * time.Minute},
		{"audit_required", c.Log.AuditRequired, false},
		{"state backend", c.State.Backend, "bolt"},
		{"state path", c.State.Path, "/etc/sandgate/state/sandgate.db"},
		{"seal key", c.State.Seal.KeyFile, "/etc/sandgate/state/seal.key"},
		{"etcd prefix", c.State.Etcd.Prefix, "/sandgate/"},
		{"etcd dial_timeout", c.State.Etcd.DialTimeout.Duration, 5 * time.Second},
		{"default class max_connections", c.Classes["default"].MaxConnections, 0},
		{"cache_ttl", c.Secrets.Vault.CacheTTL.Duration, time.Second},
		{"vault mount", c.Secrets.Vault.Mount, "secret"},
		{"backend", c.Secrets.Backend, "file"},
		{"default class intercepts", c.Classes["default"].Intercept(), true},
		{"default deny_status", c.Classes["default"].DenyStatus, 403},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseCacheTTLZero(t *testing.T) {
	c, err := Parse([]byte("version: 1\nsecrets:\n  backend: vault\n  vault: { cache_ttl: 0s }\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Secrets.Vault.CacheTTL.Duration != 0 {
		t.Errorf("got %v, want 0 (no cache)", c.Secrets.Vault.CacheTTL.Duration)
	}
}

func TestEtcdEndpointsDefault(t *testing.T) {
	c, err := Parse([]byte("version: 1\nstate:\n  backend: etcd\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.State.Etcd.Endpoints; len(got) != 1 || got[0] != "127.0.0.1:2379" {
		t.Errorf("endpoints: got %q, want [127.0.0.1:2379]", got)
	}
	c, err = Parse([]byte("version: 1\nstate:\n  backend: etcd\n  etcd: { endpoints: [\"10.0.0.5:2379\"] }\n"), "x.yaml")
	if err != nil || len(c.State.Etcd.Endpoints) != 1 || c.State.Etcd.Endpoints[0] != "10.0.0.5:2379" {
		t.Errorf("explicit endpoints: got %v, %v", c.State.Etcd.Endpoints, err)
	}
}

func TestAllowedHostsNullVersusEmpty(t *testing.T) {
	c, err := Parse([]byte("version: 1\nclasses:\n  a: { allowed_hosts: null }\n  b: { allowed_hosts: [] }\n  c: {}\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Classes["a"].AllowedHosts != nil || c.Classes["c"].AllowedHosts != nil {
		t.Error("null or absent allowed_hosts must mean no list")
	}
	if c.Classes["b"].AllowedHosts == nil || len(*c.Classes["b"].AllowedHosts) != 0 {
		t.Error("[] must be an empty list")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top key", "version: 1\nproxyy: {}\n", []string{"x.yaml:2: proxyy: unknown key in the top level"}},
		{"unknown nested key", "version: 1\nsecrets:\n  vault:\n    adress: x\n", []string{"x.yaml:4: adress: unknown key in secrets.vault"}},
		{"unknown class key", "version: 1\nclasses:\n  default:\n    allow_hosts: []\n", []string{"x.yaml:4: allow_hosts: unknown key in a class"}},
		{"missing version", "proxy: {}\n", []string{"version: must be 1"}},
		{"bad listen", "version: 1\nproxy:\n  listen: nope\n", []string{"x.yaml:3: proxy.listen"}},
		{"same listeners", "version: 1\nproxy: {listen: '127.0.0.1:1'}\nadmin: {listen: '127.0.0.1:1'}\n", []string{"admin.listen: must differ"}},
		{"bad backend", "version: 1\nsecrets: {backend: consul}\n", []string{"secrets.backend: must be file or vault"}},
		{"bad cidr", "version: 1\negress:\n  allow_cidrs: [\"10.0.0.0/33\"]\n", []string{"x.yaml:3: egress.allow_cidrs[0]"}},
		{"bad deny status", "version: 1\nclasses:\n  d: { deny_status: 200 }\n", []string{"deny_status: must be a 4xx or 5xx"}},
		{"several errors at once", "version: 1\nlimits:\n  handler_timeout: 0s\nsecrets: {backend: x}\n", []string{"limits.handler_timeout", "secrets.backend"}},
		{"bad yaml", "version: 1\nproxy: [\n", []string{"x.yaml:"}},
		{"empty", "", []string{"file is empty"}},
		{"approle needs fields", "version: 1\nsecrets:\n  backend: vault\n  vault:\n    approle: { role_id: r }\n", []string{"approle.secret_id_file: is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "x.yaml")
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestCheckHandlers(t *testing.T) {
	c, err := Parse([]byte("version: 1\nclasses:\n  d:\n    outbound: { handler: missing }\n    outbound_by_host:\n      api.x.com: { handler: present }\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = c.CheckHandlers(func(n string) bool { return n == "present" })
	if err == nil || !strings.Contains(err.Error(), `x.yaml:4: classes.d.outbound.handler: unknown handler "missing"`) {
		t.Fatalf("got %v", err)
	}
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"65536", 65536, true},
		{"512KiB", 512 << 10, true},
		{"64MiB", 64 << 20, true},
		{"1GiB", 1 << 30, true},
		{"10MB", 10_000_000, true},
		{"3 KiB", 3 << 10, true},
		{"12B", 12, true},
		{"1.5GiB", 0, false},
		{"-1", 0, false},
		{"lots", 0, false},
		{"9999999999TiB", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q): got %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestSizeErrorNamesLine(t *testing.T) {
	_, err := Parse([]byte("version: 1\nlimits:\n  max_memory: lots\n"), "x.yaml")
	if err == nil || !strings.Contains(err.Error(), "x.yaml:3") || !strings.Contains(err.Error(), "invalid size") {
		t.Errorf("got %v, want an error naming x.yaml:3 and the bad size", err)
	}
}

func TestNewKeysValidated(t *testing.T) {
	for _, tc := range []struct {
		yaml, want string
	}{
		{"classes:\n  default:\n    tcp_hosts: [\"github.com\"]\n", "classes.default.tcp_hosts[0]: \"github.com\" needs a port"},
		{"classes:\n  default:\n    rate_limit: { requests: 0, per: 1s }\n", "classes.default.rate_limit.requests: must be positive"},
		{"classes:\n  default:\n    max_connections: -1\n", "classes.default.max_connections"},
		{"state:\n  backend: zk\n", "state.backend: must be bolt, etcd or memory"},
		{"proxy:\n  max_header_bytes: 10\n", "proxy.max_header_bytes: must be between"},
		{"limits:\n  max_memory: 1MiB\n", "limits.max_memory: must be at least 32MiB"},
	} {
		_, err := Parse([]byte("version: 1\n"+tc.yaml), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.yaml, err, tc.want)
		}
	}
}

func TestBadPatternNamesItsLine(t *testing.T) {
	yaml := "version: 1\nclasses:\n  default:\n    allowed_hosts:\n      - \"*.github.com\"\n      - \"{api,uploads.github.com\"\n" +
		"    outbound_by_host:\n      api.github.com: { handler: github_auth }\n      \"[z-a].example.com\": { handler: deny_all }\n" +
		"      \"x.example.com\": { handler: \"bad name\" }\n"
	_, err := Parse([]byte(yaml), "x.yaml")
	for _, want := range []string{
		`x.yaml:6: classes.default.allowed_hosts[1]: hostpat: "{api,uploads.github.com": missing '}'`,
		`x.yaml:9: classes.default.outbound_by_host.[z-a].example.com: hostpat: "[z-a].example.com": bad glob`,
		`x.yaml:10: classes.default.outbound_by_host.x.example.com.handler: "bad name" is not a handler name`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to contain %q", err, want)
		}
	}
}

func TestCheckParams(t *testing.T) {
	yaml := "version: 1\nclasses:\n  d:\n    outbound: { handler: inject_header, params: { secret: s, n: 3 } }\n" +
		"    outbound_by_host:\n      \"*.github.com\": { handler: unknown }\n      api.x.com: { handler: inject_header, params: { header: X } }\n"
	c, err := Parse([]byte(yaml), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var seen []any
	err = c.CheckParams(func(handler string, params any) error {
		seen = append(seen, params)
		switch {
		case handler == "unknown":
			return ErrSkip
		case params.(map[string]any)["header"] == nil:
			return errors.New("params.header: required")
		}
		return nil
	})
	want := "x.yaml:4: classes.d.outbound: handler inject_header: params.header: required"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if n, ok := seen[0].(map[string]any)["n"].(float64); !ok || n != 3 {
		t.Errorf("params as seen by check: got %#v, want numbers as float64 (as JSON decodes them)", seen[0])
	}
}
