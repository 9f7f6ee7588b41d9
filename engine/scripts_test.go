package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
)

// goldenFile holds request-in, decision-out cases for the shipped scripts.
type goldenFile struct {
	Secrets map[string]map[string]string
	Cases   []struct {
		Name    string
		Handler string
		Sandbox string
		Params  any
		Request struct {
			Method  string
			URL     string
			Headers http.Header
		}
		Want struct {
			Decision string // forward, deny or error
			Reason   string
			URL      string
			Headers  http.Header
			Error    string
		}
	}
}

func TestShippedScripts(t *testing.T) {
	raw, err := os.ReadFile("testdata/scripts_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden goldenFile
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	tr := &fakeTransport{}
	e, err := New(Options{
		Dir:       "../scripts",
		Transport: tr,
		Secrets:   &fakeStore{data: golden.Secrets},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("loading the shipped scripts: %v", err)
	}
	defer e.Close()
	for _, name := range []string{"allow_hosts", "deny_all", "inject_header", "github_auth", "npm_auth", "openai_auth"} {
		if !e.Snapshot().Has(name) {
			t.Errorf("scripts/%s.lua is missing", name)
		}
		if src := string(e.Snapshot().Source(name)); !strings.HasPrefix(src, "-- "+name+":") || !strings.Contains(src, "Example binding") {
			t.Errorf("scripts/%s.lua lacks its header comment", name)
		}
	}
	for _, tc := range golden.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			tr.sent = nil
			call := newCall(tc.Handler, tc.Request.Method, tc.Request.URL)
			call.SandboxID, call.Params = tc.Sandbox, tc.Params
			for k, vs := range tc.Request.Headers {
				call.Request.Header[http.CanonicalHeaderKey(k)] = vs
			}
			res, err := e.Snapshot().Run(context.Background(), call)
			sent := tr.requests()
			switch tc.Want.Decision {
			case "error":
				var he *HandlerError
				if !errors.As(err, &he) || !strings.Contains(err.Error(), tc.Want.Error) {
					t.Fatalf("got %+v, %v; want a HandlerError containing %q", res, err, tc.Want.Error)
				}
				if len(sent) != 0 {
					t.Errorf("forwarded %d requests on an error", len(sent))
				}
			case "deny":
				if err != nil || !res.Deny || res.Reason != tc.Want.Reason {
					t.Fatalf("got %+v, %v; want a deny (%s)", res, err, tc.Want.Reason)
				}
				if len(sent) != 0 {
					t.Errorf("forwarded %d requests on a deny", len(sent))
				}
			case "forward":
				if err != nil || !res.Fetched || len(sent) != 1 {
					t.Fatalf("got %+v, %v, %d requests; want one forward", res, err, len(sent))
				}
				res.Response.Body.Close()
				want := tc.Want.URL
				if want == "" {
					want = tc.Request.URL
				}
				if sent[0].URL != want || sent[0].Method != tc.Request.Method {
					t.Errorf("sent %s %s, want %s %s", sent[0].Method, sent[0].URL, tc.Request.Method, want)
				}
				for k, vs := range tc.Want.Headers {
					if got := sent[0].Header.Values(k); !slices.Equal(got, vs) {
						t.Errorf("header %s: got %q, want %q", k, got, vs)
					}
				}
			default:
				t.Fatalf("bad decision %q in the golden file", tc.Want.Decision)
			}
		})
	}
}
