package policytest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const testSuffix = "_test.lua"

// testFiles expands paths (default ./scripts) into test files, sorted.
func testFiles(paths []string) ([]string, error) {
	if len(paths) == 0 {
		paths = []string{"scripts"}
	}
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("policytest: %w", err)
		}
		if !fi.IsDir() {
			if !strings.HasSuffix(p, testSuffix) {
				return nil, fmt.Errorf("policytest: %s is not a test file (*%s)", p, testSuffix)
			}
			files = append(files, filepath.Clean(p))
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("policytest: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), testSuffix) {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
	}
	sort.Strings(files)
	return dedupe(files), nil
}

func dedupe(files []string) []string {
	out := files[:0]
	for i, f := range files {
		if i == 0 || f != files[i-1] {
			out = append(out, f)
		}
	}
	return out
}
