package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// EventFilter selects events; empty lists match everything.
type EventFilter struct {
	Sandboxes []string
	Decisions []string // allow, deny, handler, error
}

// EventStream reads GET /v1/events.
type EventStream struct {
	body io.ReadCloser
	sc   *bufio.Scanner
}

// Events opens the live event stream. The server has subscribed by the
// time it returns, so every event after that is seen (or counted as
// dropped). Cancel ctx or call Close to stop.
func (c *Client) Events(ctx context.Context, f EventFilter) (*EventStream, error) {
	q := url.Values{}
	if len(f.Sandboxes) > 0 {
		q.Set("sandbox", strings.Join(f.Sandboxes, ","))
	}
	if len(f.Decisions) > 0 {
		q.Set("decision", strings.Join(f.Decisions, ","))
	}
	path := "/v1/events"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	res, err := c.call(ctx, "GET", path, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &EventStream{body: res.Body, sc: sc}, nil
}

// Next blocks until the next event. It returns io.EOF when the server ends
// the stream.
func (s *EventStream) Next() (Event, error) {
	for s.sc.Scan() {
		line := s.sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			return Event{}, fmt.Errorf("client: bad event line %q: %w", line, err)
		}
		return e, nil
	}
	if err := s.sc.Err(); err != nil {
		return Event{}, err
	}
	return Event{}, io.EOF
}

// Close ends the stream.
func (s *EventStream) Close() error { return s.body.Close() }

// Pprof calls GET /debug/pprof/{profile} with query (e.g. seconds=5 for
// "profile") and returns the body for the caller to read and close.
// profile "" is the index page.
func (c *Client) Pprof(ctx context.Context, profile string, query url.Values) (io.ReadCloser, error) {
	path := "/debug/pprof/" + seg(profile)
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	res, err := c.call(ctx, "GET", path, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}
