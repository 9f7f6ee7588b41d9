package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Optimistic concurrency: GET /v1/sandboxes/{id} and every PUT on a
// sandbox answer an ETag; a PUT or DELETE with If-Match set to it is
// refused with 412 when the sandbox changed meanwhile, so a
// read-modify-write never loses a concurrent change.

// SandboxETag calls GET /v1/sandboxes/{id} and returns the ETag of the
// version it shows.
func (c *Client) SandboxETag(ctx context.Context, id string) (*Sandbox, string, error) {
	res, err := c.call(ctx, "GET", "/v1/sandboxes/"+seg(id), nil, http.StatusOK)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	var out Sandbox
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, "", fmt.Errorf("client: decoding answer of GET sandbox %s: %w", id, err)
	}
	return &out, res.Header.Get("ETag"), nil
}

// SetAllowedHostsIfMatch is SetAllowedHosts that applies only to the
// version etag names; else an *Error with status 412 (see IsStale).
func (c *Client) SetAllowedHostsIfMatch(ctx context.Context, id string, patterns []string, etag string) (*Sandbox, error) {
	return c.putIfMatch(ctx, "/v1/sandboxes/"+seg(id)+"/allowed-hosts", patterns, etag)
}

// SetDeniedHostsIfMatch is SetDeniedHosts that applies only to the
// version etag names.
func (c *Client) SetDeniedHostsIfMatch(ctx context.Context, id string, patterns []string, etag string) (*Sandbox, error) {
	return c.putIfMatch(ctx, "/v1/sandboxes/"+seg(id)+"/denied-hosts", patterns, etag)
}

func (c *Client) putIfMatch(ctx context.Context, path string, body any, etag string) (*Sandbox, error) {
	res, err := c.callWith(ctx, http.Header{"If-Match": {etag}}, "PUT", path, body, http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out Sandbox
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("client: decoding answer of PUT %s: %w", path, err)
	}
	return &out, nil
}

// IsStale reports whether err is a 412: the sandbox changed since its
// ETag was read.
func IsStale(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusPreconditionFailed
}
