package state_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies holds the direction of imports: the state store knows
// nothing of sandboxes, the proxy, the engine or Vault (the transit seal
// takes an Encrypter), and the bolt build does not pull in etcd.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/sandgate/sandgate/sandbox",
		"github.com/sandgate/sandgate/proxy",
		"github.com/sandgate/sandgate/engine",
		"github.com/sandgate/sandgate/admin",
		"github.com/hashicorp/vault",
		"go.etcd.io/etcd",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("state depends on %s", dep)
			}
		}
	}
}
