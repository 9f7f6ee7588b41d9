package scrub

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies holds that scrub knows nothing of Lua, the engine or
// the proxy: it depends on the standard library only.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "github.com/sandgate/sandgate/scrub" && strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") {
			t.Errorf("scrub depends on %s", dep)
		}
	}
}
