package file

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandgate/sandgate/secrets"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// replaceFile changes the file atomically, as an editor or a config tool
// would, and moves its mtime so that the change is visible to a stat even
// on a coarse clock.
func replaceFile(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	tmp := path + ".tmp"
	writeFile(t, tmp, content)
	if err := os.Chtimes(tmp, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func newStore(t *testing.T, content string, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secrets.json")
	writeFile(t, path, content)
	quiet := slog.New(slog.DiscardHandler)
	s, err := New(path, append([]Option{WithCheckInterval(0), WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, path
}

func get(t *testing.T, s *Store, path string) map[string]string {
	t.Helper()
	fields, err := s.Get(t.Context(), path)
	if err != nil {
		t.Fatalf("Get(%q): %v", path, err)
	}
	return fields
}

func TestGet(t *testing.T) {
	s, _ := newStore(t, `{
  "sandboxes/abc": {"github_token": "ghp_x", "port": 8080, "ratio": 1.50, "on": true, "off": false},
  "npm": {}
}`)
	got := get(t, s, "sandboxes/abc")
	want := map[string]string{"github_token": "ghp_x", "port": "8080", "ratio": "1.50", "on": "true", "off": "false"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("field %s: got %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d fields, want %d", len(got), len(want))
	}
	if got := get(t, s, "npm"); len(got) != 0 {
		t.Errorf("got %v, want no fields", got)
	}
}

func TestGetErrors(t *testing.T) {
	s, _ := newStore(t, `{"a/b": {"f": "v"}}`)
	tests := []struct {
		name string
		path string
		want error
	}{
		{name: "missing", path: "a/c", want: secrets.ErrNotFound},
		{name: "parent", path: "a", want: secrets.ErrNotFound},
		{name: "escape", path: "a/../a/b", want: secrets.ErrInvalidPath},
		{name: "absolute", path: "/a/b", want: secrets.ErrInvalidPath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Get(t.Context(), tc.path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name the path %q", err, tc.path)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // after "<file>:"
	}{
		{name: "syntax", content: "{\n  \"a\": {\"f\": \"v\"},\n  \"b\": {\"f\": \"v\",}\n}", want: "3:"},
		{name: "truncated", content: "{\n  \"a\": {\"f\": \"v\"", want: "2:"},
		{name: "top level array", content: `["x"]`, want: "1:1: the file must hold a JSON object of paths, got an array"},
		{name: "flat", content: "{\n  \"a\": \"s3cr3t-value\"\n}", want: `2:8: path "a": want an object of fields, got a string`},
		{name: "nested value", content: "{\"a\": {\n  \"f\": {\"x\": 1}\n}}", want: `2:8: path "a": field "f": want a string, number or bool, got an object`},
		{name: "null value", content: "{\"a\": {\"f\": null}}", want: `1:13: path "a": field "f": want a string, number or bool, got null`},
		{name: "bad path", content: "{\n\"a\": {},\n\"../b\": {}}", want: `3:1: secrets: checking ../b: invalid secret path: has a ".." segment`},
		{name: "duplicate path", content: "{\"a\": {}, \"a\": {}}", want: `1:11: path "a" appears twice`},
		{name: "duplicate field", content: "{\"a\": {\"f\": \"1\", \"f\": \"2\"}}", want: `1:18: path "a": field "f" appears twice`},
		{name: "trailing data", content: "{} {}", want: "1:4: unexpected data after the top-level object"},
		{name: "empty", content: "", want: "1:1: unexpected end of JSON input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.json")
			writeFile(t, path, tc.content)
			_, err := New(path)
			if err == nil {
				t.Fatal("got no error")
			}
			if !strings.Contains(err.Error(), path+":"+tc.want) {
				t.Errorf("got %q, want it to contain %q", err, path+":"+tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q carries a value", err)
			}
		})
	}
}

func TestNewMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.json")
	_, err := New(path)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want a not-exist error naming %s", err, path)
	}
}

func TestReload(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s, path := newStore(t, `{"a": {"token": "v1"}}`, WithLogger(logger))
	mtime := time.Now()

	if got := get(t, s, "a")["token"]; got != "v1" {
		t.Fatalf("got %q, want %q", got, "v1")
	}

	mtime = mtime.Add(time.Second)
	replaceFile(t, path, `{"a": {"token": "v2"}, "b": {"token": "new"}}`, mtime)
	if got := get(t, s, "a")["token"]; got != "v2" {
		t.Errorf("after a change: got %q, want %q", got, "v2")
	}
	if got := get(t, s, "b")["token"]; got != "new" {
		t.Errorf("after a change: got %q, want %q", got, "new")
	}

	// A change that does not parse keeps the last good contents and is
	// reported once.
	mtime = mtime.Add(time.Second)
	replaceFile(t, path, "{\"a\": {\"token\": \"v3-s3cr3t\"\n", mtime)
	for range 3 {
		if got := get(t, s, "a")["token"]; got != "v2" {
			t.Errorf("after a bad change: got %q, want %q", got, "v2")
		}
	}
	if n := strings.Count(logs.String(), "does not parse"); n != 1 {
		t.Errorf("got %d warnings for one bad change, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), path) {
		t.Errorf("warning does not name the file:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("log carries a value:\n%s", logs.String())
	}

	// A removed file keeps the last good contents too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "a")["token"]; got != "v2" {
		t.Errorf("after removal: got %q, want %q", got, "v2")
	}

	// The next good version is picked up.
	mtime = mtime.Add(time.Second)
	replaceFile(t, path, `{"a": {"token": "v4"}}`, mtime)
	if got := get(t, s, "a")["token"]; got != "v4" {
		t.Errorf("after a fix: got %q, want %q", got, "v4")
	}
	if _, err := s.Get(t.Context(), "b"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("removed path: got %v, want ErrNotFound", err)
	}
}

func TestReloadInPlace(t *testing.T) {
	s, path := newStore(t, `{"a": {"token": "v1"}}`)
	get(t, s, "a")
	writeFile(t, path, `{"a": {"token": "v2-longer"}}`)
	if got := get(t, s, "a")["token"]; got != "v2-longer" {
		t.Errorf("got %q, want %q", got, "v2-longer")
	}
}

func TestCheckInterval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	writeFile(t, path, `{"a": {"token": "v1"}}`)
	s, err := New(path, WithCheckInterval(time.Minute), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s.now = func() time.Time { return now }
	s.lastCheck = now

	replaceFile(t, path, `{"a": {"token": "v2"}}`, time.Now().Add(time.Second))
	if got := get(t, s, "a")["token"]; got != "v1" {
		t.Errorf("within the interval: got %q, want %q", got, "v1")
	}
	now = now.Add(time.Minute)
	if got := get(t, s, "a")["token"]; got != "v2" {
		t.Errorf("after the interval: got %q, want %q", got, "v2")
	}
}

// waitToken reads path's token until it is want, within a generous bound:
// a watch event arrives on its own goroutine.
func waitToken(t *testing.T, s *Store, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := get(t, s, "a")["token"]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %q, want %q after the change", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	writeFile(t, path, `{"a": {"token": "v1"}}`)
	s, err := New(path, WithWatch(), WithCheckInterval(time.Hour), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.watcher == nil {
		t.Fatal("no watch set up (inotify unavailable?)")
	}
	var stats atomic.Int64
	s.stat = func(p string) (os.FileInfo, error) { stats.Add(1); return os.Stat(p) }

	// Without a change, reads do not look at the file.
	for range 1000 {
		if got := get(t, s, "a")["token"]; got != "v1" {
			t.Fatalf("got %q, want v1", got)
		}
	}
	if n := stats.Load(); n != 0 {
		t.Errorf("%d stats for 1000 reads of an unchanged file, want 0", n)
	}
	// A replacement by rename and a write in place are both seen.
	replaceFile(t, path, `{"a": {"token": "v2"}}`, time.Now().Add(time.Second))
	waitToken(t, s, "v2")
	writeFile(t, path, `{"a": {"token": "v3-longer"}}`)
	waitToken(t, s, "v3-longer")
	if stats.Load() == 0 {
		t.Error("the changes were read without a stat")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
