package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandgate/sandgate/secrets"
)

// fakeTransport records what fetch sends and answers with fn, or with a
// canned 200 "upstream" response when fn is nil.
type fakeTransport struct {
	mu   sync.Mutex
	sent []sentRequest
	fn   func(*http.Request) (*http.Response, error)
}

type sentRequest struct {
	Method, URL, Host string
	Header            http.Header
	Body              string
}

func (f *fakeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	f.mu.Lock()
	f.sent = append(f.sent, sentRequest{r.Method, r.URL.String(), r.Host, r.Header.Clone(), string(body)})
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(r)
	}
	return textResponse(200, "upstream"), nil
}

func (f *fakeTransport) requests() []sentRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentRequest(nil), f.sent...)
}

func (f *fakeTransport) last(t *testing.T) sentRequest {
	t.Helper()
	reqs := f.requests()
	if len(reqs) == 0 {
		t.Fatal("nothing was sent upstream")
	}
	return reqs[len(reqs)-1]
}

func textResponse(status int, body string) *http.Response {
	return &http.Response{
		StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"text/plain"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
	}
}

// fakeStore serves secrets from a map; delay makes every read slow.
type fakeStore struct {
	data  map[string]map[string]string
	err   error
	delay time.Duration
}

func (s *fakeStore) Get(ctx context.Context, path string) (map[string]string, error) {
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if s.err != nil {
		return nil, s.err
	}
	fields, ok := s.data[path]
	if !ok {
		return nil, &secrets.Error{Op: "reading", Path: path, Err: secrets.ErrNotFound}
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		out[k] = v
	}
	return out, nil
}

// testEnv is an engine over a temporary scripts directory.
type testEnv struct {
	*Engine
	dir       string
	transport *fakeTransport
	store     *fakeStore
	logs      *bytes.Buffer
}

func newEnv(t *testing.T, scripts map[string]string, tweak ...func(*Options)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	for name, src := range scripts {
		writeScript(t, dir, name, src)
	}
	env := &testEnv{
		dir:       dir,
		transport: &fakeTransport{},
		store: &fakeStore{data: map[string]map[string]string{
			"sandboxes/sb1": {"github_token": "ghp_secret123", "npm_token": "npm_secret456", "openai_api_key": "sk-secret789"},
		}},
		logs: new(bytes.Buffer),
	}
	opts := Options{
		Dir:       dir,
		Transport: env.transport,
		Secrets:   env.store,
		Logger:    slog.New(slog.NewJSONHandler(env.logs, nil)),
	}
	for _, f := range tweak {
		f(&opts)
	}
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(e.Close)
	env.Engine = e
	return env
}

func writeScript(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name+".lua"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newCall(handler, method, url string) *Call {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return &Call{Handler: handler, Request: req, SandboxID: "sb1", Class: "default", RequestID: "req-1"}
}

// run runs one call of handler on a GET of url.
func (env *testEnv) run(t *testing.T, handler, url string) (Result, error) {
	t.Helper()
	return env.Snapshot().Run(context.Background(), newCall(handler, "GET", url))
}

// body reads a result's response body.
func body(t *testing.T, res Result) string {
	t.Helper()
	if res.Response == nil {
		t.Fatalf("no response in %+v", res)
	}
	b, err := io.ReadAll(res.Response.Body)
	if err != nil {
		t.Fatal(err)
	}
	res.Response.Body.Close()
	return string(b)
}

// runBody runs a handler that must succeed and returns its response body.
func (env *testEnv) runBody(t *testing.T, handler string) string {
	t.Helper()
	res, err := env.run(t, handler, "https://api.example.com/v1/x?a=1")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return body(t, res)
}
