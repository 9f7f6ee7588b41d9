// Package config reads sandgate's YAML configuration file: strict decoding
// (an unknown key is an error naming the key and its line), defaults, and
// validation that needs no I/O beyond reading the file itself. `sandgate
// check` and `sandgate serve` run the same code.
package config

import (
	"time"
)

// Config is the whole file, CONTRACT section 6.
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

	// File is the path the config was read from; Dir its folder. Relative
	// paths in the file have been resolved against Dir.
	File string `yaml:"-"`
	Dir  string `yaml:"-"`
}

// Proxy is the data plane's listeners and connection limits.
type Proxy struct {
	Listen            string   `yaml:"listen"`
	TransparentListen string   `yaml:"transparent_listen"`
	IdleTimeout       Duration `yaml:"idle_timeout"`     // a client connection with no traffic for this long is closed (default 5m)
	ShutdownTimeout   Duration `yaml:"shutdown_timeout"` // in-flight requests get this long on SIGTERM (default 30s)
	MaxConns          int      `yaml:"max_connections"`  // open client connections at most (default 10000)
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

// Limits bound what one handler call may do.
type Limits struct {
	HandlerTimeout Duration `yaml:"handler_timeout"`
	MaxBodyBytes   int64    `yaml:"max_body_bytes"`
	MaxStringBytes int      `yaml:"max_string_bytes"`
}

// Log configures logging, the audit log and metric labels.
type Log struct {
	Level          string `yaml:"level"`  // debug, info, warn, error (default info)
	Format         string `yaml:"format"` // json or text (default json)
	AuditFile      string `yaml:"audit_file"`
	SandboxMetrics bool   `yaml:"sandbox_metrics"` // label request metrics with the sandbox id
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

	// Line is where the class starts in the file.
	Line int `yaml:"-"`
}

// Intercept reports the effective intercept_https (default true).
func (c *Class) Intercept() bool { return c.InterceptHTTPS == nil || *c.InterceptHTTPS }

// Binding attaches a handler with params.
type Binding struct {
	Handler string         `yaml:"handler"`
	Params  map[string]any `yaml:"params"`
	Line    int            `yaml:"-"`
}

// Defaults from CONTRACT section 6.
const (
	DefaultProxyListen           = "127.0.0.1:3128"
	DefaultAdminListen           = "127.0.0.1:9180"
	DefaultDialTimeout           = 10 * time.Second
	DefaultResponseHeaderTimeout = 60 * time.Second
	DefaultHandlerTimeout        = 250 * time.Millisecond
	DefaultMaxBodyBytes          = 10 << 20
	DefaultMaxStringBytes        = 16 << 20
	DefaultCacheTTL              = time.Second
	DefaultDenyStatus            = 403
)
