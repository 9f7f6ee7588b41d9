// Package testbin gives end-to-end tests the sandgate binary: the one named
// by $SANDGATE_BIN, or one built from the checkout for the test run.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// RepoRoot is the checkout this package lives in.
var RepoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}()

// Build returns the binary to test and a cleanup that removes it when it
// was built here. Build output goes to stderr.
func Build() (bin string, cleanup func(), err error) {
	if bin = os.Getenv("SANDGATE_BIN"); bin != "" {
		return bin, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "sandgate-bin-")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(tmp, "sandgate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sandgate")
	cmd.Dir = RepoRoot
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("building sandgate: %w", err)
	}
	return bin, func() { os.RemoveAll(tmp) }, nil
}

// Main is a TestMain body: it sets *bin, runs the tests and exits.
func Main(run func() int, bin *string) {
	b, cleanup, err := Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin = b
	code := run()
	cleanup()
	os.Exit(code)
}
