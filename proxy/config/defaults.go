package config

import "time"

func (c *Config) applyDefaults() {
	if c.Proxy.Listen == "" {
		c.Proxy.Listen = DefaultProxyListen
	}
	c.Proxy.IdleTimeout.orDefault(5 * time.Minute)
	c.Proxy.ShutdownTimeout.orDefault(30 * time.Second)
	if c.Proxy.MaxConns == 0 {
		c.Proxy.MaxConns = 10000
	}
	if c.Admin.Listen == "" {
		c.Admin.Listen = DefaultAdminListen
	}
	c.Admin.TokenFile = c.resolve(c.Admin.TokenFile)
	if c.ScriptsDir == "" {
		c.ScriptsDir = "./scripts"
	}
	c.ScriptsDir = c.resolve(c.ScriptsDir)
	c.defaultSecrets()
	c.Upstream.DialTimeout.orDefault(DefaultDialTimeout)
	c.Upstream.ResponseHeaderTimeout.orDefault(DefaultResponseHeaderTimeout)
	c.Upstream.IdleConnTimeout.orDefault(90 * time.Second)
	if c.Upstream.MaxIdleConnsPerHost == 0 {
		c.Upstream.MaxIdleConnsPerHost = 64
	}
	for i, f := range c.Upstream.CAFiles {
		c.Upstream.CAFiles[i] = c.resolve(f)
	}
	c.Limits.HandlerTimeout.orDefault(DefaultHandlerTimeout)
	if c.Limits.MaxBodyBytes == 0 {
		c.Limits.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Limits.MaxStringBytes == 0 {
		c.Limits.MaxStringBytes = DefaultMaxStringBytes
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	c.Log.AuditFile = c.resolve(c.Log.AuditFile)
	if c.Classes == nil {
		c.Classes = map[string]*Class{"default": {}}
	}
	for _, cl := range c.Classes {
		if cl != nil && cl.DenyStatus == 0 {
			cl.DenyStatus = DefaultDenyStatus
		}
	}
}

func (c *Config) defaultSecrets() {
	s := &c.Secrets
	if s.Backend == "" {
		s.Backend = "file"
	}
	if s.File.Path == "" && s.Backend == "file" {
		s.File.Path = "./secrets.dev.json"
	}
	s.File.Path = c.resolve(s.File.Path)
	v := &s.Vault
	if v.Mount == "" {
		v.Mount = "secret"
	}
	v.CacheTTL.orDefault(DefaultCacheTTL)
	v.Timeout.orDefault(5 * time.Second)
	v.CAFile = c.resolve(v.CAFile)
	if v.AppRole != nil {
		if v.AppRole.Mount == "" {
			v.AppRole.Mount = "approle"
		}
		v.AppRole.SecretIDFile = c.resolve(v.AppRole.SecretIDFile)
	}
}
