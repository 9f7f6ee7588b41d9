// Package config reads sandgate's YAML configuration file: strict decoding
// (an unknown key is an error naming the key and its line), defaults, and
// validation that needs no I/O beyond reading the file itself. `sandgate
// check` and `sandgate serve` run the same code.
package config

import (
	"time"
)

// Config is the whole file.
type Config struct {
	Version    int               `yaml:"version"`
	Proxy      Proxy             `yaml:"proxy"`
	Admin      Admin             `yaml:"admin"`
	ScriptsDir string            `yaml:"scripts_dir"`
	Secrets    Secrets           `yaml:"secrets"`
	Upstream   Upstream          `yaml:"upstream"`
	Egress     Egress            `yaml:"egress"`
	Limits     Limits            `yaml:"limits"`
	Log        Log               `yaml:"log"`
	Classes    map[string]*Class `yaml:"classes"`
	State      State             `yaml:"state"`

	// File is the path the config was read from; Dir its folder. Relative
	// paths in the file have been resolved against Dir.
	File string `yaml:"-"`
	Dir  string `yaml:"-"`
}

// Proxy is the data plane's listeners and connection limits.
type Proxy struct {
	Listen            string `yaml:"listen"`
	TransparentListen string `yaml:"transparent_listen"`
	// IdleTimeout closes a client connection with no traffic for this long,
	// and bounds the wait for a keep-alive connection's next request (default 5m).
	IdleTimeout Duration `yaml:"idle_timeout"`
	// TunnelIdleTimeout closes a joined WebSocket or raw TCP tunnel with no
	// traffic either way for this long (default: idle_timeout).
	TunnelIdleTimeout Duration `yaml:"tunnel_idle_timeout"`
	ShutdownTimeout   Duration `yaml:"shutdown_timeout"` // in-flight requests get this long on SIGTERM (default 30s)
	MaxConns          int      `yaml:"max_connections"`  // open client connections at most (default 10000)
	// MaxHeaderBytes bounds a request's line plus headers (default 64KiB);
	// it is also HTTP/2's header list size.
	MaxHeaderBytes Size `yaml:"max_header_bytes"`
	// HeaderTimeout bounds the time from a request's first byte to the end
	// of its header section (default 10s).
	HeaderTimeout Duration `yaml:"header_timeout"`
	// MaxPendingConns caps connections that have not authenticated yet;
	// past it the oldest are closed (default 1000).
	MaxPendingConns int `yaml:"max_pending_connections"`
	// H2MaxConcurrentStreams caps the open streams of one HTTP/2
	// connection (default 100).
	H2MaxConcurrentStreams int `yaml:"h2_max_concurrent_streams"`
	// H2StreamWindow and H2ConnWindow are HTTP/2 flow-control windows: how
	// much request body a stream, and a whole connection, may send ahead
	// (defaults 1MiB and 2MiB; each less than 4MiB).
	H2StreamWindow Size `yaml:"h2_stream_window"`
	H2ConnWindow   Size `yaml:"h2_connection_window"`
}

// Admin is the admin API listener.
type Admin struct {
	Listen    string `yaml:"listen"`
	TokenFile string `yaml:"token_file"`
}

// Secrets selects and configures the secrets backend.
type Secrets struct {
	Backend string      `yaml:"backend"`
	File    FileSecrets `yaml:"file"`
	Vault   Vault       `yaml:"vault"`
}

// FileSecrets is the JSON file backend.
type FileSecrets struct {
	Path string `yaml:"path"`
}

// Vault is the HashiCorp Vault KV v2 backend.
type Vault struct {
	Address   string   `yaml:"address"`
	Namespace string   `yaml:"namespace"`
	Token     string   `yaml:"token"`
	Mount     string   `yaml:"mount"`
	Prefix    string   `yaml:"prefix"`
	CacheTTL  Duration `yaml:"cache_ttl"`
	CAFile    string   `yaml:"ca_file"`
	AppRole   *AppRole `yaml:"approle"`
	Timeout   Duration `yaml:"timeout"`
}

// AppRole is Vault AppRole login.
type AppRole struct {
	RoleID       string `yaml:"role_id"`
	SecretIDFile string `yaml:"secret_id_file"`
	Mount        string `yaml:"mount"`
}

// Upstream configures connections to the sandbox's destinations.
type Upstream struct {
	CAFiles               []string `yaml:"ca_files"`
	DialTimeout           Duration `yaml:"dial_timeout"`
	ResponseHeaderTimeout Duration `yaml:"response_header_timeout"`
	IdleConnTimeout       Duration `yaml:"idle_conn_timeout"`
	MaxIdleConnsPerHost   int      `yaml:"max_idle_conns_per_host"`
}

// Egress is the address guard.
type Egress struct {
	AllowCIDRs []string `yaml:"allow_cidrs"`
}

// Limits bound what handlers may do.
type Limits struct {
	HandlerTimeout Duration `yaml:"handler_timeout"`
	MaxBodyBytes   Size     `yaml:"max_body_bytes"`
	MaxStringBytes Size     `yaml:"max_string_bytes"`
	// MaxMemory is the heap size past which running handler calls are
	// stopped (default 1GiB).
	MaxMemory Size `yaml:"max_memory"`
	// HandlerConcurrency caps one sandbox's concurrent handler calls
	// (default 0: GOMAXPROCS).
	HandlerConcurrency int `yaml:"handler_concurrency"`
	// MaxRatelimitKeys caps the ratelimit.take buckets of one sandbox
	// (default 1000).
	MaxRatelimitKeys int `yaml:"max_ratelimit_keys"`
}

// Log configures logging, the audit log and metric labels.
type Log struct {
	Level          string `yaml:"level"`  // debug, info, warn, error (default info)
	Format         string `yaml:"format"` // json or text (default json)
	AuditFile      string `yaml:"audit_file"`
	SandboxMetrics bool   `yaml:"sandbox_metrics"` // label request metrics with the sandbox id
	// AuditRequired refuses requests (503 audit_unavailable) while audit
	// lines cannot be written.
	AuditRequired bool `yaml:"audit_required"`
}

// Class is a named policy template.
type Class struct {
	InterceptHTTPS *bool               `yaml:"intercept_https"`
	EnableInternet bool                `yaml:"enable_internet"`
	AllowedHosts   *[]string           `yaml:"allowed_hosts"`
	DeniedHosts    []string            `yaml:"denied_hosts"`
	DenyStatus     int                 `yaml:"deny_status"`
	OutboundByHost map[string]*Binding `yaml:"outbound_by_host"`
	Outbound       *Binding            `yaml:"outbound"`
	// TCPHosts are host:port patterns joined as raw TCP tunnels.
	TCPHosts []string `yaml:"tcp_hosts"`
	// RateLimit is the sandbox's request rate; nil: no limit.
	RateLimit *RateLimit `yaml:"rate_limit"`
	// MaxConnections caps a sandbox's open connections; 0: no cap.
	MaxConnections int `yaml:"max_connections"`

	// Line is where the class starts in the file.
	Line int `yaml:"-"`
}

// Intercept reports the effective intercept_https (default true).
func (c *Class) Intercept() bool { return c.InterceptHTTPS == nil || *c.InterceptHTTPS }

// RateLimit is a token bucket: Requests per Per, with room for Burst.
type RateLimit struct {
	Requests int      `yaml:"requests"`
	Per      Duration `yaml:"per"`
	Burst    int      `yaml:"burst"`
}

// State is where sandboxes and their runtime policy are kept.
type State struct {
	Backend string `yaml:"backend"` // bolt (default), etcd or memory
	Path    string `yaml:"path"`    // bolt file (default ./state/sandgate.db)
	NodeID  string `yaml:"node_id"` // default: the host name
	Etcd    Etcd   `yaml:"etcd"`
	Seal    Seal   `yaml:"seal"`
}

// Etcd is the etcd cluster a fleet shares.
type Etcd struct {
	Endpoints    []string `yaml:"endpoints"`
	Prefix       string   `yaml:"prefix"`
	DialTimeout  Duration `yaml:"dial_timeout"`
	CAFile       string   `yaml:"ca_file"`
	CertFile     string   `yaml:"cert_file"`
	KeyFile      string   `yaml:"key_file"`
	Username     string   `yaml:"username"`
	PasswordFile string   `yaml:"password_file"`
}

// Seal protects the CA private keys at rest.
type Seal struct {
	KeyFile      string        `yaml:"key_file"`
	VaultTransit *VaultTransit `yaml:"vault_transit"`
}

// VaultTransit seals with Vault's transit engine.
type VaultTransit struct {
	Mount string `yaml:"mount"`
	Key   string `yaml:"key"`
}

// Binding attaches a handler with params.
type Binding struct {
	Handler string         `yaml:"handler"`
	Params  map[string]any `yaml:"params"`
	Line    int            `yaml:"-"`
}

// Defaults of the config keys.
const (
	DefaultProxyListen            = "127.0.0.1:3128"
	DefaultAdminListen            = "127.0.0.1:9180"
	DefaultDialTimeout            = 10 * time.Second
	DefaultResponseHeaderTimeout  = 60 * time.Second
	DefaultHandlerTimeout         = 250 * time.Millisecond
	DefaultMaxBodyBytes           = 10 << 20
	DefaultMaxStringBytes         = 16 << 20
	DefaultCacheTTL               = time.Second
	DefaultDenyStatus             = 403
	DefaultMaxHeaderBytes         = 64 << 10
	DefaultHeaderTimeout          = 10 * time.Second
	DefaultMaxPendingConns        = 1000
	DefaultIdleTimeout            = 5 * time.Minute
	DefaultMaxMemory              = 1 << 30
	DefaultMaxRatelimitKeys       = 1000
	DefaultH2MaxConcurrentStreams = 100
	DefaultH2StreamWindow         = 1 << 20
	DefaultH2ConnWindow           = 2 << 20
	DefaultStatePath              = "./state/sandgate.db"
	DefaultEtcdEndpoint           = "127.0.0.1:2379" // etcd's own client default
	DefaultSealKeyFile            = "./state/seal.key"
	DefaultEtcdPrefix             = "/sandgate/"
	DefaultEtcdDialTimeout        = 5 * time.Second
)
