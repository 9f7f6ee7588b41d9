package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// fuzzTarget is one Go fuzz target of the repository.
type fuzzTarget struct {
	Pkg  string `json:"package"`
	Name string `json:"name"`
}

// findFuzzTargets lists the fuzz targets of every package under repo whose
// "pkg.Name" matches match: what `go test -list '^Fuzz' ./...` lists, read
// from the test files' source so that no test binary is built to list them.
func findFuzzTargets(ctx context.Context, repo string, match *regexp.Regexp) ([]fuzzTarget, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-f",
		"{{.ImportPath}}\t{{.Dir}}\t{{join .TestGoFiles \",\"}}\t{{join .XTestGoFiles \",\"}}", "./...")
	cmd.Dir = repo
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var targets []fuzzTarget
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			continue
		}
		files := append(strings.Split(f[2], ","), strings.Split(f[3], ",")...)
		for _, file := range files {
			if file == "" {
				continue
			}
			names, err := fuzzFuncs(filepath.Join(f[1], file))
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				if match == nil || match.MatchString(f[0]+"."+n) {
					targets = append(targets, fuzzTarget{Pkg: f[0], Name: n})
				}
			}
		}
	}
	return targets, sc.Err()
}

// fuzzFuncs returns the fuzz targets of a test file: top-level functions
// FuzzXxx(f *testing.F), named as go test recognises them.
func fuzzFuncs(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	var names []string
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || !isFuzzName(fd.Name.Name) || !takesF(fd.Type) {
			continue
		}
		names = append(names, fd.Name.Name)
	}
	return names, nil
}

// isFuzzName is go test's rule: "Fuzz" then nothing or a non-lowercase rune.
func isFuzzName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Fuzz")
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLower(r)
}

// takesF reports whether the function's only parameter is a *testing.F (or
// *<alias>.F) and it returns nothing.
func takesF(t *ast.FuncType) bool {
	if t.Results != nil && len(t.Results.List) > 0 {
		return false
	}
	if t.Params == nil || len(t.Params.List) != 1 || len(t.Params.List[0].Names) > 1 {
		return false
	}
	star, ok := t.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "F"
}
