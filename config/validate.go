package config

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/sandgate/sandgate/engine/hostpat"
)

// ClassName and HandlerName are the allowed shapes of those names.
var (
	ClassName   = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$`)
	HandlerName = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9_-]*$`)
)

type validator struct {
	c     *Config
	lines *lineIndex
	errs  []error
}

func (v *validator) fail(key, format string, args ...any) {
	v.failAt(v.lines.line(key), key, format, args...)
}

// failAt is fail for a key whose line the dotted path cannot find (a host
// pattern holds dots of its own).
func (v *validator) failAt(line int, key, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.c.File, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (c *Config) validate(lines *lineIndex) []error {
	v := &validator{c: c, lines: lines}
	if c.Version != 1 {
		v.fail("version", "must be 1 (got %d)", c.Version)
	}
	v.addr("proxy.listen", c.Proxy.Listen, false)
	v.addr("proxy.transparent_listen", c.Proxy.TransparentListen, true)
	v.addr("admin.listen", c.Admin.Listen, false)
	if sameListener(c.Admin.Listen, c.Proxy.Listen) || sameListener(c.Admin.Listen, c.Proxy.TransparentListen) {
		v.fail("admin.listen", "must differ from the proxy listeners (%s)", c.Admin.Listen)
	}
	v.proxy()
	v.secrets()
	v.limits()
	v.state()
	for i, s := range c.Egress.AllowCIDRs {
		if _, err := parsePrefix(s); err != nil {
			v.fail(fmt.Sprintf("egress.allow_cidrs[%d]", i), "%q is not an IP address or CIDR", s)
		}
	}
	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		v.fail("log.level", "must be debug, info, warn or error (got %q)", c.Log.Level)
	}
	if !oneOf(c.Log.Format, "json", "text") {
		v.fail("log.format", "must be json or text (got %q)", c.Log.Format)
	}
	names := make([]string, 0, len(c.Classes))
	for name := range c.Classes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v.class(name, c.Classes[name])
	}
	return v.errs
}

func (v *validator) addr(key, addr string, optional bool) {
	if addr == "" && optional {
		return
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		v.fail(key, "%q is not host:port", addr)
	}
}

func (v *validator) secrets() {
	s := v.c.Secrets
	switch s.Backend {
	case "file":
		if s.File.Path == "" {
			v.fail("secrets.file.path", "is required with backend file")
		}
	case "vault":
		if s.Vault.AppRole != nil {
			if s.Vault.AppRole.RoleID == "" {
				v.fail("secrets.vault.approle.role_id", "is required with approle")
			}
			if s.Vault.AppRole.SecretIDFile == "" {
				v.fail("secrets.vault.approle.secret_id_file", "is required with approle")
			}
		}
		if strings.Contains(s.Vault.Prefix, "..") {
			v.fail("secrets.vault.prefix", "must not contain \"..\"")
		}
	default:
		v.fail("secrets.backend", "must be file or vault (got %q)", s.Backend)
	}
}

func (v *validator) proxy() {
	p := v.c.Proxy
	if p.MaxConns < 0 {
		v.fail("proxy.max_connections", "must be positive")
	}
	if p.MaxHeaderBytes.Bytes < 1024 || p.MaxHeaderBytes.Bytes > 16<<20 {
		v.fail("proxy.max_header_bytes", "must be between 1KiB and 16MiB (got %d)", p.MaxHeaderBytes.Bytes)
	}
	if p.HeaderTimeout.Duration <= 0 {
		v.fail("proxy.header_timeout", "must be positive")
	}
	if p.MaxPendingConns < 0 {
		v.fail("proxy.max_pending_connections", "must be positive")
	}
	if p.H2MaxConcurrentStreams < 0 {
		v.fail("proxy.h2_max_concurrent_streams", "must be positive")
	}
	for key, z := range map[string]Size{"proxy.h2_stream_window": p.H2StreamWindow, "proxy.h2_connection_window": p.H2ConnWindow} {
		if z.Bytes < 64<<10 || z.Bytes >= 4<<20 {
			v.fail(key, "must be at least 64KiB and less than 4MiB (got %d bytes)", z.Bytes)
		}
	}
}

func (v *validator) limits() {
	l := v.c.Limits
	if l.HandlerTimeout.Duration <= 0 {
		v.fail("limits.handler_timeout", "must be positive")
	}
	if l.MaxBodyBytes.Bytes <= 0 {
		v.fail("limits.max_body_bytes", "must be positive")
	}
	if l.MaxStringBytes.Bytes <= 0 || l.MaxStringBytes.Bytes > 1<<31-1 {
		v.fail("limits.max_string_bytes", "must be between 1 byte and 2GiB")
	}
	if l.MaxMemory.Bytes < 32<<20 {
		v.fail("limits.max_memory", "must be at least 32MiB (got %d bytes)", l.MaxMemory.Bytes)
	}
	if l.HandlerConcurrency < 0 {
		v.fail("limits.handler_concurrency", "must be 0 (GOMAXPROCS) or positive")
	}
	if l.MaxRatelimitKeys < 0 {
		v.fail("limits.max_ratelimit_keys", "must be positive")
	}
	if v.c.Upstream.DialTimeout.Duration <= 0 {
		v.fail("upstream.dial_timeout", "must be positive")
	}
	if v.c.Upstream.ResponseHeaderTimeout.Duration <= 0 {
		v.fail("upstream.response_header_timeout", "must be positive")
	}
}

func (v *validator) class(name string, cl *Class) {
	key := "classes." + name
	if !ClassName.MatchString(name) {
		v.fail(key, "class name %q must match %s", name, ClassName)
	}
	if cl == nil {
		v.fail(key, "is empty (write {} for all defaults)")
		return
	}
	if cl.AllowedHosts != nil {
		v.patterns(key+".allowed_hosts", *cl.AllowedHosts)
	}
	v.patterns(key+".denied_hosts", cl.DeniedHosts)
	if cl.DenyStatus < 400 || cl.DenyStatus > 599 {
		v.fail(key+".deny_status", "must be a 4xx or 5xx status (got %d)", cl.DenyStatus)
	}
	for _, pat := range sortedKeys(cl.OutboundByHost) {
		b := cl.OutboundByHost[pat]
		bkey := key + ".outbound_by_host." + pat
		line := v.lines.lineOfKey(key+".outbound_by_host", pat)
		p, err := hostpat.Parse(pat)
		if err != nil {
			v.failAt(line, bkey, "%v", err)
			continue
		}
		if !cl.Intercept() && p.Port() == 443 {
			v.failAt(line, bkey, "class %s has intercept_https: false, so a handler bound to %s could never run", name, pat)
		}
		v.binding(bkey, line, b)
	}
	if cl.Outbound != nil {
		v.binding(key+".outbound", v.lines.line(key+".outbound"), cl.Outbound)
	}
	for i, pat := range cl.TCPHosts {
		ikey := fmt.Sprintf("%s.tcp_hosts[%d]", key, i)
		p, err := hostpat.Parse(pat)
		switch {
		case err != nil:
			v.fail(ikey, "%v", err)
		case p.Port() == 0:
			v.fail(ikey, "%q needs a port (tcp_hosts patterns are host:port, e.g. github.com:22)", pat)
		}
	}
	if rl := cl.RateLimit; rl != nil {
		if rl.Requests <= 0 {
			v.fail(key+".rate_limit.requests", "must be positive")
		}
		if rl.Per.Duration <= 0 {
			v.fail(key+".rate_limit.per", "must be a positive duration such as \"1s\"")
		}
		if rl.Burst < 0 {
			v.fail(key+".rate_limit.burst", "must be positive")
		}
	}
	if cl.MaxConnections < 0 {
		v.fail(key+".max_connections", "must be 0 (no cap) or positive")
	}
}

func (v *validator) state() {
	s := v.c.State
	switch s.Backend {
	case "bolt":
		if s.Path == "" {
			v.fail("state.path", "is required with backend bolt")
		}
	case "etcd":
		for i, e := range s.Etcd.Endpoints {
			if strings.TrimSpace(e) == "" {
				v.fail(fmt.Sprintf("state.etcd.endpoints[%d]", i), "is empty")
			}
		}
		if !strings.HasPrefix(s.Etcd.Prefix, "/") {
			v.fail("state.etcd.prefix", "must start with / (got %q)", s.Etcd.Prefix)
		}
		if s.Etcd.DialTimeout.Duration <= 0 {
			v.fail("state.etcd.dial_timeout", "must be positive")
		}
		if (s.Etcd.CertFile == "") != (s.Etcd.KeyFile == "") {
			v.fail("state.etcd.cert_file", "cert_file and key_file go together")
		}
		if s.Etcd.PasswordFile != "" && s.Etcd.Username == "" {
			v.fail("state.etcd.username", "is required with password_file")
		}
	case "memory":
	default:
		v.fail("state.backend", "must be bolt, etcd or memory (got %q)", s.Backend)
	}
}

func (v *validator) patterns(key string, pats []string) {
	for i, p := range pats {
		if _, err := hostpat.Parse(p); err != nil {
			v.fail(fmt.Sprintf("%s[%d]", key, i), "%v", err)
		}
	}
}

func (v *validator) binding(key string, line int, b *Binding) {
	if b == nil {
		v.failAt(line, key, "needs a handler")
		return
	}
	if !HandlerName.MatchString(b.Handler) {
		v.failAt(line, key+".handler", "%q is not a handler name", b.Handler)
	}
	if _, err := json.Marshal(b.Params); err != nil {
		v.failAt(line, key+".params", "cannot be expressed as JSON: %v", err)
	}
}

// sortedKeys returns m's keys in order, so errors come out in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CheckHandlers reports every binding whose handler is not among the
// compiled scripts (has reports whether a name exists).
func (c *Config) CheckHandlers(has func(string) bool) error {
	var errs []error
	c.eachBinding(func(key string, b *Binding) {
		if !has(b.Handler) {
			errs = append(errs, &Error{File: c.File, Line: b.Line, Key: key + ".handler",
				Msg: fmt.Sprintf("unknown handler %q (no %s.lua in %s)", b.Handler, b.Handler, c.ScriptsDir)})
		}
	})
	if len(errs) == 0 {
		return nil
	}
	return joinErrors(errs)
}

func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}

// parsePrefix accepts a CIDR or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AllowPrefixes returns egress.allow_cidrs parsed (validated already).
func (c *Config) AllowPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.Egress.AllowCIDRs))
	for _, s := range c.Egress.AllowCIDRs {
		if p, err := parsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func oneOf(s string, opts ...string) bool {
	for _, o := range opts {
		if s == o {
			return true
		}
	}
	return false
}

// sameListener reports two listen addresses that would collide (port 0
// picks a free port, so it never collides).
func sameListener(a, b string) bool {
	_, pa, errA := net.SplitHostPort(a)
	_, pb, errB := net.SplitHostPort(b)
	return errA == nil && errB == nil && pa != "0" && a == b && pb != "0"
}
