// Package client is a Go client for sandgate's admin API: every route,
// typed requests and answers, and the live event
// stream. It depends on the standard library only, so an orchestrator can
// import it without the gateway.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultURL is where a gateway's admin API listens by default.
const DefaultURL = "http://127.0.0.1:9180"

// Client calls one gateway's admin API. Its methods are safe for
// concurrent use.
type Client struct {
	// BaseURL is the admin API's root, e.g. "http://127.0.0.1:9180".
	BaseURL string
	// Token is the admin token sent as "Authorization: Bearer <token>".
	Token string
	// HTTP sends the requests. If nil, http.DefaultClient is used. Calls
	// are bounded by their context only: a client-wide Timeout would also
	// cut the event stream.
	HTTP *http.Client
}

// New returns a client for the admin API at baseURL (DefaultURL if empty).
func New(baseURL, token string) *Client {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token}
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Error is an answer of the admin API with a status other than the one the
// call expects: its status and the server's message.
type Error struct {
	Method, URL string
	Status      int
	Message     string   // the server's "error" field, or its body
	Errors      []string // the server's "errors" list (script compile errors)
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if len(e.Errors) > 0 {
		msg += "\n  " + strings.Join(e.Errors, "\n  ")
	}
	return msg
}

// ConnError is a request that got no answer: the gateway is not reachable
// at URL (wrong address, not running, network failure).
type ConnError struct {
	URL string
	Err error
}

func (e *ConnError) Error() string { return fmt.Sprintf("cannot reach %s: %v", e.URL, e.Err) }
func (e *ConnError) Unwrap() error { return e.Err }

// call is one request: body may be nil, []byte (sent as is) or a value
// (sent as JSON). It returns the response when its status is one of want;
// the caller closes its body.
func (c *Client) call(ctx context.Context, method, path string, body any, want ...int) (*http.Response, error) {
	return c.callWith(ctx, nil, method, path, body, want...)
}

// callWith is call with extra request headers (If-Match).
func (c *Client) callWith(ctx context.Context, hdr http.Header, method, path string, body any, want ...int) (*http.Response, error) {
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ConnError{URL: c.BaseURL, Err: unwrapURLError(err)}
	}
	for _, w := range want {
		if res.StatusCode == w {
			return res, nil
		}
	}
	defer res.Body.Close()
	return nil, decodeError(method, req.URL.String(), res)
}

func (c *Client) newRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		r, ctype = bytes.NewReader(b), "text/plain; charset=utf-8"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("client: encoding request body: %w", err)
		}
		r, ctype = bytes.NewReader(j), "application/json"
	}
	u, err := url.Parse(c.BaseURL + path)
	if err != nil {
		return nil, fmt.Errorf("client: bad admin URL %q: %w", c.BaseURL, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func decodeError(method, u string, res *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	e := &Error{Method: method, URL: u, Status: res.StatusCode}
	var body struct {
		Error  string   `json:"error"`
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error != "" {
		e.Message, e.Errors = body.Error, body.Errors
	} else {
		e.Message = strings.TrimSpace(string(b))
	}
	return e
}

// do makes a call and decodes a JSON answer into out (if non-nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any, want ...int) error {
	res, err := c.call(ctx, method, path, body, want...)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("client: decoding answer of %s %s: %w", method, path, err)
	}
	return nil
}

// raw makes a call and returns the whole body.
func (c *Client) raw(ctx context.Context, method, path string, body any, want ...int) ([]byte, error) {
	res, err := c.call(ctx, method, path, body, want...)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("client: reading answer of %s %s: %w", method, path, err)
	}
	return b, nil
}

// seg escapes one path segment: an id, a script name, a host pattern
// ("10.0.0.0/8" becomes "10.0.0.0%2F8").
func seg(s string) string { return url.PathEscape(s) }
