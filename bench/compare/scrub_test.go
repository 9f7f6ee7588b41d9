package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLinks builds a small program (a test binary has no symbol table) and
// looks for packages in it.
func TestLinks(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hi")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	if !links(bin, "main") {
		t.Error("got no symbol of package main")
	}
	if links(bin, scrubPkg) {
		t.Errorf("got a symbol of %s", scrubPkg)
	}
	if links(filepath.Join(dir, "missing"), scrubPkg) {
		t.Error("a missing file: got true")
	}
}
