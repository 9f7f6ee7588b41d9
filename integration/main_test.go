package integration

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/sandgate/sandgate/integration/testbin"
)

// binary is the sandgate binary under test: $SANDGATE_BIN, or one built
// from this checkout.
var binary string

// repoRoot is the checkout this package lives in.
var repoRoot = testbin.RepoRoot

func TestMain(m *testing.M) {
	if _, err := exec.LookPath("curl"); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests need curl: run `apt-get install -y curl` (make test does)")
		os.Exit(1)
	}
	testbin.Main(m.Run, &binary)
}
