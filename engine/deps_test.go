package engine

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies holds the direction of imports: the engine knows nothing
// of the proxy, martian or Vault.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/sandgate/sandgate/proxy",
		"github.com/google/martian",
		"github.com/hashicorp/vault",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("engine depends on %s", dep)
			}
		}
	}
}
