package config

import (
	"strings"
	"time"
)

func (c *Config) applyDefaults() {
	if c.Proxy.Listen == "" {
		c.Proxy.Listen = DefaultProxyListen
	}
	c.Proxy.IdleTimeout.orDefault(DefaultIdleTimeout)
	c.Proxy.TunnelIdleTimeout.orDefault(c.Proxy.IdleTimeout.Duration)
	c.Proxy.ShutdownTimeout.orDefault(30 * time.Second)
	if c.Proxy.MaxConns == 0 {
		c.Proxy.MaxConns = 10000
	}
	c.Proxy.MaxHeaderBytes.orDefault(DefaultMaxHeaderBytes)
	c.Proxy.HeaderTimeout.orDefault(DefaultHeaderTimeout)
	if c.Proxy.MaxPendingConns == 0 {
		c.Proxy.MaxPendingConns = DefaultMaxPendingConns
	}
	if c.Proxy.H2MaxConcurrentStreams == 0 {
		c.Proxy.H2MaxConcurrentStreams = DefaultH2MaxConcurrentStreams
	}
	c.Proxy.H2StreamWindow.orDefault(DefaultH2StreamWindow)
	c.Proxy.H2ConnWindow.orDefault(DefaultH2ConnWindow)
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
	c.Limits.MaxBodyBytes.orDefault(DefaultMaxBodyBytes)
	c.Limits.MaxStringBytes.orDefault(DefaultMaxStringBytes)
	c.Limits.MaxMemory.orDefault(DefaultMaxMemory)
	if c.Limits.MaxRatelimitKeys == 0 {
		c.Limits.MaxRatelimitKeys = DefaultMaxRatelimitKeys
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	c.Log.AuditFile = c.resolve(c.Log.AuditFile)
	c.defaultState()
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

func (c *Config) defaultState() {
	s := &c.State
	if s.Backend == "" {
		s.Backend = "bolt"
	}
	if s.Path == "" {
		s.Path = DefaultStatePath
	}
	s.Path = c.resolve(s.Path)
	if s.Etcd.Prefix == "" {
		s.Etcd.Prefix = DefaultEtcdPrefix
	}
	if !strings.HasSuffix(s.Etcd.Prefix, "/") {
		// "/a" must not also watch "/ab/": the prefix is a folder.
		s.Etcd.Prefix += "/"
	}
	if s.Backend == "etcd" && len(s.Etcd.Endpoints) == 0 {
		s.Etcd.Endpoints = []string{DefaultEtcdEndpoint}
	}
	s.Etcd.DialTimeout.orDefault(DefaultEtcdDialTimeout)
	s.Etcd.CAFile = c.resolve(s.Etcd.CAFile)
	s.Etcd.CertFile = c.resolve(s.Etcd.CertFile)
	s.Etcd.KeyFile = c.resolve(s.Etcd.KeyFile)
	s.Etcd.PasswordFile = c.resolve(s.Etcd.PasswordFile)
	if s.Seal.KeyFile == "" {
		s.Seal.KeyFile = DefaultSealKeyFile
	}
	s.Seal.KeyFile = c.resolve(s.Seal.KeyFile)
	if t := s.Seal.VaultTransit; t != nil {
		if t.Mount == "" {
			t.Mount = "transit"
		}
		if t.Key == "" {
			t.Key = "sandgate-state"
		}
	}
}
