package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
)

func TestPatternIsEscaped(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	if err := New(srv.URL, "t").ClearByHost(context.Background(), "sb1", "10.0.0.0/8"); err != nil {
		t.Fatal(err)
	}
	if want := "/v1/sandboxes/sb1/outbound-by-host/10.0.0.0%2F8"; got != want {
		t.Errorf("got path %q, want %q", got, want)
	}
}

func TestErrorCarriesServerMessage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t" {
			t.Errorf("got Authorization %q, want the token", r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = io.WriteString(w, `{"error":"script does not compile","errors":["x.lua:1: boom"]}`)
	}))
	defer srv.Close()
	_, err := New(srv.URL, "t").PutScript(context.Background(), "x", []byte("boom"))
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != 422 || ae.Message != "script does not compile" || len(ae.Errors) != 1 {
		t.Fatalf("got %#v, want the 422 with its message and errors", err)
	}
	if !strings.Contains(err.Error(), "x.lua:1: boom") {
		t.Errorf("got %q, want the compile error in the text", err)
	}
}

func TestConnErrorNamesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := New(url, "t").Status(context.Background())
	var ce *ConnError
	if !errors.As(err, &ce) || ce.URL != url || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("got %v, want a ConnError for %s wrapping ECONNREFUSED", err, url)
	}
}

func TestHostsNullAndEmpty(t *testing.T) {
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		_, _ = io.WriteString(w, `{"id":"sb1"}`)
	}))
	defer srv.Close()
	c := New(srv.URL, "t")
	_, _ = c.SetAllowedHosts(context.Background(), "sb1", nil)
	_, _ = c.SetAllowedHosts(context.Background(), "sb1", []string{})
	_, _ = c.SetDeniedHosts(context.Background(), "sb1", []string{"a"})
	if want := []string{"null", "[]", `["a"]`}; strings.Join(bodies, " ") != strings.Join(want, " ") {
		t.Errorf("got bodies %q, want %q", bodies, want)
	}
}
