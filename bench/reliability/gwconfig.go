package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// gwConfig is what a phase sets in its gateway's config; zero values leave
// the gateway's defaults (docs/config.md), which is what most phases
// measure.
type gwConfig struct {
	MaxConnections     int           // proxy.max_connections
	MaxPending         int           // proxy.max_pending_connections
	HeaderTimeout      time.Duration // proxy.header_timeout
	IdleTimeout        time.Duration // proxy.idle_timeout
	MaxMemory          string        // limits.max_memory, e.g. "512MiB"
	HandlerConcurrency int           // limits.handler_concurrency
	HandlerTimeout     time.Duration // limits.handler_timeout
	// Classes are the sandbox classes; each may reach 127.0.0.1 only.
	Classes map[string]classConfig
}

// classConfig is one class's limits (rate_limit, max_connections).
type classConfig struct {
	RateLimit      *rateLimit // nil: none
	MaxConnections int        // 0: no cap
}

// rateLimit is a class's rate_limit.
type rateLimit struct {
	Requests int
	Per      time.Duration
	Burst    int
}

func (r *rateLimit) String() string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%d per %s, burst %d", r.Requests, r.Per, r.Burst)
}

// yaml is the config file: free ports on 127.0.0.1, in-memory state, file
// secrets, the audit log in a file, the upstream's CA, loopback allowed.
func (c gwConfig) yaml(upstreamCA string) string {
	var b strings.Builder
	b.WriteString("version: 1\nproxy:\n  listen: 127.0.0.1:0\n  shutdown_timeout: 5s\n")
	optInt(&b, "  max_connections", c.MaxConnections)
	optInt(&b, "  max_pending_connections", c.MaxPending)
	optDur(&b, "  header_timeout", c.HeaderTimeout)
	optDur(&b, "  idle_timeout", c.IdleTimeout)
	b.WriteString("admin:\n  listen: 127.0.0.1:0\nscripts_dir: ./scripts\n")
	b.WriteString("secrets:\n  backend: file\n  file: { path: ./secrets.json }\n")
	b.WriteString("state:\n  backend: memory\n")
	fmt.Fprintf(&b, "upstream:\n  ca_files: [%q]\n", upstreamCA)
	b.WriteString("egress:\n  allow_cidrs: [\"127.0.0.0/8\"]\n")
	b.WriteString("limits:\n  max_body_bytes: 10MiB\n")
	if c.MaxMemory != "" {
		fmt.Fprintf(&b, "  max_memory: %s\n", c.MaxMemory)
	}
	optInt(&b, "  handler_concurrency", c.HandlerConcurrency)
	optDur(&b, "  handler_timeout", c.HandlerTimeout)
	b.WriteString("log:\n  audit_file: ./audit.log\nclasses:\n")
	names := make([]string, 0, len(c.Classes))
	for n := range c.Classes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cl := c.Classes[n]
		fmt.Fprintf(&b, "  %s:\n    allowed_hosts: [\"127.0.0.1\"]\n", n)
		optInt(&b, "    max_connections", cl.MaxConnections)
		if r := cl.RateLimit; r != nil {
			fmt.Fprintf(&b, "    rate_limit: { requests: %d, per: %s, burst: %d }\n", r.Requests, r.Per, r.Burst)
		}
	}
	return b.String()
}

func optInt(b *strings.Builder, key string, v int) {
	if v != 0 {
		fmt.Fprintf(b, "%s: %d\n", key, v)
	}
}

func optDur(b *strings.Builder, key string, d time.Duration) {
	if d != 0 {
		fmt.Fprintf(b, "%s: %s\n", key, d)
	}
}
