package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// binary is the sandgate binary under test: $SANDGATE_BIN, or one built
// from this checkout in TestMain.
var binary string

// repoRoot is the checkout this package lives in.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}()

func TestMain(m *testing.M) {
	if _, err := exec.LookPath("curl"); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests need curl: run `apt-get install -y curl` (make test does)")
		os.Exit(1)
	}
	binary = os.Getenv("SANDGATE_BIN")
	var tmp string
	if binary == "" {
		var err error
		tmp, err = os.MkdirTemp("", "sandgate-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		binary = filepath.Join(tmp, "sandgate")
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/sandgate")
		cmd.Dir = repoRoot
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building sandgate:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}
