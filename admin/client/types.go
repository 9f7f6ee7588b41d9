package client

import "time"

// CreateRequest is the body of POST /v1/sandboxes. Empty fields are left
// to the server: a random id, class "default", no source address.
type CreateRequest struct {
	ID       string            `json:"id,omitempty"`
	Class    string            `json:"class,omitempty"`
	SourceIP string            `json:"source_ip,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
}

// Created is a new sandbox. Token is shown only here.
type Created struct {
	ID       string            `json:"id"`
	Token    string            `json:"token"`
	Class    string            `json:"class"`
	ProxyURL string            `json:"proxy_url"`
	CAPEM    string            `json:"ca_pem"`
	Env      map[string]string `json:"env"`
}

// SandboxSummary is a sandbox as GET /v1/sandboxes lists it.
type SandboxSummary struct {
	ID        string            `json:"id"`
	Class     string            `json:"class"`
	SourceIP  string            `json:"source_ip,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

// Binding is a handler and its params. Source (in answers only) says
// whether it comes from the class or the runtime.
type Binding struct {
	Handler string         `json:"handler"`
	Params  map[string]any `json:"params,omitempty"`
	Source  string         `json:"source,omitempty"`
}

// Policy is a sandbox's effective policy: its class merged with its
// runtime overrides.
type Policy struct {
	InterceptHTTPS     bool               `json:"intercept_https"`
	EnableInternet     bool               `json:"enable_internet"`
	DenyStatus         int                `json:"deny_status"`
	AllowedHosts       []string           `json:"allowed_hosts"` // nil: no allow list
	AllowedHostsSource string             `json:"allowed_hosts_source,omitempty"`
	DeniedHosts        []string           `json:"denied_hosts"`
	OutboundByHost     map[string]Binding `json:"outbound_by_host"`
	Outbound           *Binding           `json:"outbound"`
	TCPHosts           []string           `json:"tcp_hosts"`
	TCPHostsSource     string             `json:"tcp_hosts_source,omitempty"`
	RateLimit          *RateLimit         `json:"rate_limit"` // nil: none
	RateLimitSource    string             `json:"rate_limit_source,omitempty"`
	MaxConnections     int                `json:"max_connections"`
}

// RateLimit is a sandbox's request rate: Requests per Per (a duration
// such as "1s"), with room for Burst.
type RateLimit struct {
	Requests int    `json:"requests"`
	Per      string `json:"per"`
	Burst    int    `json:"burst"`
}

// Runtime is what the admin API changed on a sandbox.
type Runtime struct {
	AllowedHosts   []string           `json:"allowed_hosts"` // nil: the class's list applies
	DeniedHosts    []string           `json:"denied_hosts"`
	OutboundByHost map[string]Binding `json:"outbound_by_host"`
	Outbound       *Binding           `json:"outbound"`
	TCPHosts       []string           `json:"tcp_hosts"`  // nil: the class's list applies
	RateLimit      *RateLimit         `json:"rate_limit"` // nil: the class's applies
}

// Sandbox is one sandbox with its effective policy.
type Sandbox struct {
	SandboxSummary
	Policy  Policy  `json:"policy"`
	Runtime Runtime `json:"runtime"`
}

// Script is a loaded handler script.
type Script struct {
	Name    string   `json:"name"`
	SHA256  string   `json:"sha256"`
	BoundAt []string `json:"bound_at"`
	// Params are the params the script declares, by name; nil (null) for a
	// script that returns a plain function and accepts any params.
	Params map[string]Param `json:"params"`
}

// Param is a declared param of a script: its type (string, number,
// boolean, list, table or any), whether a binding must give it, and the
// value ctx.params holds when a binding leaves it out.
type Param struct {
	Type     string `json:"type"`
	Required bool   `json:"required"`
	Default  any    `json:"default,omitempty"`
}

// ScriptStatus is the answer to PUT /v1/scripts/{name}.
type ScriptStatus struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Status string `json:"status"`
}

// Status is GET /v1/status.
type Status struct {
	Version         string   `json:"version"`
	UptimeSeconds   int64    `json:"uptime_seconds"`
	Sandboxes       int      `json:"sandboxes"`
	OpenConnections int64    `json:"open_connections"`
	ProxyAddr       string   `json:"proxy_addr,omitempty"`
	SecretsBackend  string   `json:"secrets_backend"`
	ScriptsSHA256   string   `json:"scripts_sha256"`
	Scripts         []Script `json:"scripts"`
	// Node is state.node_id, else the gateway's host name.
	Node  string       `json:"node,omitempty"`
	State *StateStatus `json:"state,omitempty"`
}

// StateStatus is the state store as /v1/status shows it. Revision is
// etcd's (backend etcd only).
type StateStatus struct {
	Backend  string `json:"backend"`
	Healthy  bool   `json:"healthy"`
	Revision int64  `json:"revision,omitempty"`
}

// Event is one line of GET /v1/events: a finished request or tunnel. A
// line that only reports Dropped (> 0) says how many events the server
// dropped for this stream, because it read too slowly, since the last such
// line.
type Event struct {
	Time       time.Time `json:"time"`
	RequestID  string    `json:"request_id"`
	Sandbox    string    `json:"sandbox"`
	Class      string    `json:"class"`
	Protocol   string    `json:"protocol"` // h1, h2, ws or tcp
	Method     string    `json:"method"`
	Scheme     string    `json:"scheme"`
	Host       string    `json:"host"`
	Port       int       `json:"port"`
	Path       string    `json:"path"`
	Decision   string    `json:"decision"` // allow, deny, handler, error
	Reason     string    `json:"reason"`
	Rule       string    `json:"rule"`
	Handler    string    `json:"handler"`
	Status     int       `json:"status"`
	BytesUp    int64     `json:"bytes_up"`
	BytesDown  int64     `json:"bytes_down"`
	Redactions int64     `json:"redactions"` // secret values scrubbed from the response
	DurationMS float64   `json:"duration_ms"`
	HandlerMS  float64   `json:"handler_ms"`
	Upstream   string    `json:"upstream"`
	Dropped    uint64    `json:"dropped,omitempty"`
}
