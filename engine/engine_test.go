package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const okScript = "return function(req, ctx) return deny() end\n"

func TestNewListsEveryError(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "good", okScript)
	writeScript(t, dir, "syntax", "return function(req, ctx)\n  return deny(\nend\n")
	writeScript(t, dir, "runtime", "local x = nil\nlocal y = x.field\nreturn function() end\n")
	writeScript(t, dir, "notfn", "return 42\n")
	writeScript(t, dir, "bad name", okScript)
	writeScript(t, dir, "loop", "while true do end\nreturn function() end\n")
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("not a script"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub.lua"), 0o755)

	_, err := New(Options{Dir: dir, HandlerTimeout: 50 * time.Millisecond})
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a LoadError", err)
	}
	want := []ScriptError{
		{File: "bad name.lua"},
		{Name: "loop", File: "loop.lua"},
		{Name: "notfn", File: "notfn.lua"},
		{Name: "runtime", File: "runtime.lua", Line: 2},
		{Name: "syntax", File: "syntax.lua", Line: 3},
	}
	if len(le.Errors) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(le.Errors), len(want), err)
	}
	for i, w := range want {
		got := le.Errors[i]
		if got.Name != w.Name || got.File != w.File || got.Line != w.Line || got.Msg == "" {
			t.Errorf("error %d: got %+v, want %+v", i, got, w)
		}
	}
	for _, s := range []string{"syntax.lua:3:", "runtime.lua:2:", "must return a function", "time limit", "invalid handler name"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("got %q, want it to contain %q", err, s)
		}
	}
}

func TestSnapshotInfo(t *testing.T) {
	env := newEnv(t, map[string]string{"b": okScript, "a": okScript + "-- a\n"})
	s := env.Snapshot()
	if got := s.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Names: got %q, want [a b]", got)
	}
	sum := sha256.Sum256([]byte(okScript))
	if got, want := s.SHA256("b"), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("SHA256: got %s, want %s", got, want)
	}
	if string(s.Source("b")) != okScript || s.Source("zz") != nil || s.SHA256("zz") != "" {
		t.Error("Source or SHA256 wrong")
	}
	if !s.Has("a") || s.Has("zz") {
		t.Error("Has wrong")
	}
	h := s.Hash()
	if err := env.Reload(nil); err != nil {
		t.Fatal(err)
	}
	if env.Snapshot().Hash() != h {
		t.Error("the hash changed on a reload of the same files")
	}
	env.Put("b", []byte(okScript+"-- changed\n"))
	if env.Snapshot().Hash() == h {
		t.Error("the hash did not change with a script")
	}
}

func TestReloadAllOrNothing(t *testing.T) {
	env := newEnv(t, map[string]string{"keep": okScript, "bound": okScript, "other": okScript})
	old := env.Snapshot()

	writeScript(t, env.dir, "keep", "return function(req, ctx)\n  x = = 1\nend\n")
	writeScript(t, env.dir, "other", "return 1")
	writeScript(t, env.dir, "fresh", okScript)
	os.Remove(filepath.Join(env.dir, "bound.lua"))

	err := env.Reload([]string{"bound", "keep"})
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a LoadError", err)
	}
	var files []string
	for _, se := range le.Errors {
		files = append(files, se.File)
	}
	if !slices.Equal(files, []string{"bound.lua", "keep.lua", "other.lua"}) {
		t.Errorf("got errors for %q, want bound.lua, keep.lua, other.lua: %v", files, err)
	}
	if !strings.Contains(err.Error(), "bound handler missing") || !strings.Contains(err.Error(), "keep.lua:2:") {
		t.Errorf("got %q", err)
	}
	if env.Snapshot() != old || env.Snapshot().Has("fresh") {
		t.Error("a failed reload changed the handler set")
	}

	writeScript(t, env.dir, "keep", okScript)
	writeScript(t, env.dir, "other", okScript)
	if err := env.Reload([]string{"keep"}); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if s := env.Snapshot(); !s.Has("fresh") || s.Has("bound") {
		t.Errorf("got %q after reload", s.Names())
	}
}

func TestPutDelete(t *testing.T) {
	env := newEnv(t, nil)
	src := []byte("return function(req, ctx) return deny('v1') end\n")
	if err := env.Put("new", src); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(env.dir, "new.lua")); string(got) != string(src) {
		t.Errorf("file: got %q, want %q", got, src)
	}
	if res, err := env.run(t, "new", "http://x/"); err != nil || res.Reason != "v1" {
		t.Errorf("got %+v, %v", res, err)
	}

	err := env.Put("new", []byte("return function(\n"))
	var le *LoadError
	if !errors.As(err, &le) || len(le.Errors) != 1 || le.Errors[0].File != "new.lua" {
		t.Fatalf("got %v, want a LoadError for new.lua", err)
	}
	if got, _ := os.ReadFile(filepath.Join(env.dir, "new.lua")); string(got) != string(src) {
		t.Error("a failed Put changed the file")
	}
	if string(env.Snapshot().Source("new")) != string(src) {
		t.Error("a failed Put changed the handler")
	}
	for _, name := range []string{"../evil", strings.Repeat("a", 300)} {
		if err := env.Put(name, src); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Put(%.20q...): got %v, want ErrInvalidName", name, err)
		}
	}

	if err := env.Delete("new"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(filepath.Join(env.dir, "new.lua")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file is still there: %v", err)
	}
	if env.Snapshot().Has("new") {
		t.Error("the handler is still there")
	}
	if err := env.Delete("new"); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	entries, _ := os.ReadDir(env.dir)
	if len(entries) != 0 {
		t.Errorf("left files behind: %v", entries)
	}
}

func TestSnapshotIsolation(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  local res = fetch(req)
  return deny("old")
end`})
	entered, release := make(chan struct{}), make(chan struct{})
	env.transport.fn = func(*http.Request) (*http.Response, error) {
		close(entered)
		<-release
		return textResponse(200, ""), nil
	}
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome)
	snap := env.Snapshot()
	go func() {
		res, err := snap.Run(context.Background(), newCall("h", "GET", "http://x/"))
		done <- outcome{res, err}
	}()
	<-entered
	if err := env.Put("h", []byte(`return function() return deny("new") end`)); err != nil {
		t.Fatal(err)
	}
	close(release)
	got := <-done
	if got.err != nil || got.res.Reason != "old" {
		t.Errorf("in-flight call: got %+v, %v; want the old script's deny", got.res, got.err)
	}
	if res, err := env.run(t, "h", "http://x/"); err != nil || res.Reason != "new" {
		t.Errorf("next call: got %+v, %v; want the new script", res, err)
	}
}

func TestConcurrentRunsAndPuts(t *testing.T) {
	env := newEnv(t, map[string]string{"h": `return function(req, ctx)
  req:set_header("X-V", "0")
  return fetch(req)
end`})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				call := newCall("h", "GET", fmt.Sprintf("https://api.example.com/%d", g))
				res, err := env.Snapshot().Run(context.Background(), call)
				if err != nil {
					errs <- err
					return
				}
				res.Response.Body.Close()
			}
		}()
	}
	for i := 0; ctx.Err() == nil; i++ {
		src := fmt.Sprintf("return function(req, ctx)\n  req:set_header(\"X-V\", %q)\n  return fetch(req)\nend\n", fmt.Sprint(i))
		if err := env.Put("h", []byte(src)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Run: %v", err)
	}
	if n := len(env.transport.requests()); n < 8 {
		t.Errorf("only %d calls ran", n)
	}
}
