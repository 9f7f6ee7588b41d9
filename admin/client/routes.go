package client

import (
	"context"
	"net/http"
)

// Health calls GET /healthz (no token needed).
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, "GET", "/healthz", nil, nil, http.StatusOK)
}

// Status calls GET /v1/status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var s Status
	return &s, c.do(ctx, "GET", "/v1/status", nil, &s, http.StatusOK)
}

// CreateSandbox calls POST /v1/sandboxes.
func (c *Client) CreateSandbox(ctx context.Context, req CreateRequest) (*Created, error) {
	var out Created
	return &out, c.do(ctx, "POST", "/v1/sandboxes", req, &out, http.StatusCreated)
}

// Sandboxes calls GET /v1/sandboxes.
func (c *Client) Sandboxes(ctx context.Context) ([]SandboxSummary, error) {
	var out struct {
		Sandboxes []SandboxSummary `json:"sandboxes"`
	}
	return out.Sandboxes, c.do(ctx, "GET", "/v1/sandboxes", nil, &out, http.StatusOK)
}

// Sandbox calls GET /v1/sandboxes/{id}.
func (c *Client) Sandbox(ctx context.Context, id string) (*Sandbox, error) {
	var out Sandbox
	return &out, c.do(ctx, "GET", "/v1/sandboxes/"+seg(id), nil, &out, http.StatusOK)
}

// DeleteSandbox calls DELETE /v1/sandboxes/{id}.
func (c *Client) DeleteSandbox(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/v1/sandboxes/"+seg(id), nil, nil, http.StatusNoContent)
}

// CABundle calls GET /v1/sandboxes/{id}/ca-bundle.pem: the gateway host's
// system roots plus the sandbox's CA.
func (c *Client) CABundle(ctx context.Context, id string) ([]byte, error) {
	return c.raw(ctx, "GET", "/v1/sandboxes/"+seg(id)+"/ca-bundle.pem", nil, http.StatusOK)
}

// CAPEM calls GET /v1/sandboxes/{id}/ca.pem.
func (c *Client) CAPEM(ctx context.Context, id string) ([]byte, error) {
	return c.raw(ctx, "GET", "/v1/sandboxes/"+seg(id)+"/ca.pem", nil, http.StatusOK)
}

// SetOutbound calls PUT /v1/sandboxes/{id}/outbound: the runtime catch-all.
func (c *Client) SetOutbound(ctx context.Context, id string, b Binding) (*Sandbox, error) {
	var out Sandbox
	b.Source = ""
	return &out, c.do(ctx, "PUT", "/v1/sandboxes/"+seg(id)+"/outbound", b, &out, http.StatusOK)
}

// ClearOutbound calls DELETE /v1/sandboxes/{id}/outbound.
func (c *Client) ClearOutbound(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/v1/sandboxes/"+seg(id)+"/outbound", nil, nil, http.StatusNoContent)
}

// SetByHost calls PUT /v1/sandboxes/{id}/outbound-by-host/{pattern}.
func (c *Client) SetByHost(ctx context.Context, id, pattern string, b Binding) (*Sandbox, error) {
	var out Sandbox
	b.Source = ""
	return &out, c.do(ctx, "PUT", "/v1/sandboxes/"+seg(id)+"/outbound-by-host/"+seg(pattern), b, &out, http.StatusOK)
}

// ClearByHost calls DELETE /v1/sandboxes/{id}/outbound-by-host/{pattern}.
func (c *Client) ClearByHost(ctx context.Context, id, pattern string) error {
	return c.do(ctx, "DELETE", "/v1/sandboxes/"+seg(id)+"/outbound-by-host/"+seg(pattern), nil, nil, http.StatusNoContent)
}

// SetAllowedHosts calls PUT /v1/sandboxes/{id}/allowed-hosts. A nil list
// sends null (the class's list applies again); an empty one allows nothing.
func (c *Client) SetAllowedHosts(ctx context.Context, id string, patterns []string) (*Sandbox, error) {
	var out Sandbox
	return &out, c.do(ctx, "PUT", "/v1/sandboxes/"+seg(id)+"/allowed-hosts", patterns, &out, http.StatusOK)
}

// SetDeniedHosts calls PUT /v1/sandboxes/{id}/denied-hosts. A nil list
// sends null (no runtime additions to the class's list).
func (c *Client) SetDeniedHosts(ctx context.Context, id string, patterns []string) (*Sandbox, error) {
	var out Sandbox
	return &out, c.do(ctx, "PUT", "/v1/sandboxes/"+seg(id)+"/denied-hosts", patterns, &out, http.StatusOK)
}

// Scripts calls GET /v1/scripts.
func (c *Client) Scripts(ctx context.Context) ([]Script, error) {
	var out struct {
		Scripts []Script `json:"scripts"`
	}
	return out.Scripts, c.do(ctx, "GET", "/v1/scripts", nil, &out, http.StatusOK)
}

// Script calls GET /v1/scripts/{name}: the Lua source.
func (c *Client) Script(ctx context.Context, name string) ([]byte, error) {
	return c.raw(ctx, "GET", "/v1/scripts/"+seg(name), nil, http.StatusOK)
}

// PutScript calls PUT /v1/scripts/{name}. A script that does not compile
// is an *Error with status 422 whose Errors list the problems.
func (c *Client) PutScript(ctx context.Context, name string, src []byte) (*ScriptStatus, error) {
	var out ScriptStatus
	if src == nil {
		src = []byte{}
	}
	return &out, c.do(ctx, "PUT", "/v1/scripts/"+seg(name), src, &out, http.StatusOK)
}

// DeleteScript calls DELETE /v1/scripts/{name}.
func (c *Client) DeleteScript(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", "/v1/scripts/"+seg(name), nil, nil, http.StatusNoContent)
}

// ReloadScripts calls POST /v1/scripts/reload and returns the scripts now
// loaded.
func (c *Client) ReloadScripts(ctx context.Context) ([]Script, error) {
	var out struct {
		Scripts []Script `json:"scripts"`
	}
	return out.Scripts, c.do(ctx, "POST", "/v1/scripts/reload", nil, &out, http.StatusOK)
}

// FlushSecrets calls POST /v1/secrets/flush.
func (c *Client) FlushSecrets(ctx context.Context) error {
	return c.do(ctx, "POST", "/v1/secrets/flush", nil, nil, http.StatusOK)
}

// Metrics calls GET /metrics: the Prometheus text format.
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	return c.raw(ctx, "GET", "/metrics", nil, http.StatusOK)
}
