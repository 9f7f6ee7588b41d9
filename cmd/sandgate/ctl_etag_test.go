package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestCtlHostsAddLosesNothing runs 10 `ctl hosts deny --add` at once on
// one sandbox: each reads the list and writes it back with If-Match, so
// every pattern ends up in the list.
func TestCtlHostsAddLosesNothing(t *testing.T) {
	startAdmin(t)
	if r := runCtl("sandbox", "create", "sb1"); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	const n = 10
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := runCtl("hosts", "deny", "sb1", "--add", fmt.Sprintf("h%d.example", i)); r.code != 0 {
				t.Errorf("hosts deny --add: %+v", r)
			}
		}()
	}
	wg.Wait()
	r := runCtl("-o", "json", "sandbox", "show", "sb1")
	for i := range n {
		if want := fmt.Sprintf("h%d.example", i); !strings.Contains(r.stdout, want) {
			t.Errorf("%s was lost: %s", want, r.stdout)
		}
	}
}
