package integration

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/gopher-lua/parse"
)

// docBlock is a fenced block of a document meant to be a file:
// "```lua file=scripts/greet.lua".
type docBlock struct {
	path string
	body string
	line int
}

var fileFence = regexp.MustCompile("^```[a-z]+ file=(\\S+)\\s*$")

// docBlocks extracts the blocks of doc that name a file.
func docBlocks(t *testing.T, doc string) []docBlock {
	t.Helper()
	f, err := os.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []docBlock
	var cur *docBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil:
			if m := fileFence.FindStringSubmatch(line); m != nil {
				cur = &docBlock{path: m[1], line: n}
			}
		case line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		default:
			cur.body += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: the block of %s is never closed", doc, cur.line, cur.path)
	}
	return blocks
}

// writeBlocks writes a document's file blocks under dir.
func writeBlocks(t *testing.T, doc, dir string) []docBlock {
	t.Helper()
	blocks := docBlocks(t, doc)
	seen := map[string]int{}
	for _, b := range blocks {
		if first, dup := seen[b.path]; dup {
			t.Fatalf("%s:%d: %s is also written on line %d", doc, b.line, b.path, first)
		}
		seen[b.path] = b.line
		p := filepath.Join(dir, b.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(b.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return blocks
}

var passedLine = regexp.MustCompile(`(?m)^(\d+) passed, 0 failed$`)

// The worked examples of docs/lua-api.md run as they are written: every
// handler compiles and every test passes under sandgate test.
func TestAuthoringDocsLuaAPIExamples(t *testing.T) {
	dir := t.TempDir()
	blocks := writeBlocks(t, filepath.Join(repoRoot, "docs", "lua-api.md"), dir)
	tests := 0
	for _, b := range blocks {
		if strings.HasSuffix(b.path, "_test.lua") {
			tests++
		}
	}
	if tests < 14 {
		t.Fatalf("found %d test files in docs/lua-api.md, want one per section", tests)
	}
	out, code := exitCode(t, "test", "-v", dir)
	if code != 0 || !passedLine.MatchString(out) {
		t.Fatalf("sandgate test of the examples: exit %d:\n%s", code, out)
	}
}

// The guide's files (config, handler, test) pass check and test.
func TestAuthoringDocsPoliciesGuide(t *testing.T) {
	dir := t.TempDir()
	writeBlocks(t, filepath.Join(repoRoot, "docs", "policies.md"), dir)
	cfg := filepath.Join(dir, "sandgate.yaml")
	if out, code := exitCode(t, "check", "-config", cfg); code != 0 {
		t.Fatalf("sandgate check of the guide's config: exit %d:\n%s", code, out)
	}
	out, code := exitCode(t, "test", "-config", cfg, filepath.Join(dir, "scripts"))
	if code != 0 || !passedLine.MatchString(out) {
		t.Fatalf("sandgate test of the guide's files: exit %d:\n%s", code, out)
	}
}

// Every function and field of the Lua API has its place in docs/lua-api.md
// and in the editor annotations.
func TestAuthoringDocsCoverTheAPI(t *testing.T) {
	api := []string{
		"req.method", "req.url", "req.scheme", "req.host", "req.port", "req.path", "req.query",
		"req:header", "req:headers", "req:set_header", "req:add_header", "req:del_header", "req:body", "req:set_body",
		"fetch(req)", "fetch{", "response{", "deny(", "res.status", "res:header", "res:headers", "res:set_header",
		"res:del_header", "res:body", "ctx.sandbox_id", "ctx.class", "ctx.handler", "ctx.params", "ctx.request_id",
		"ctx.labels", "secrets.get", "secrets.protect", "ratelimit.take", "log.info", "log.warn", "log.error",
		"json.encode", "json.decode", "json.null", "hosts.match", "test(", "run(", "eq(",
	}
	doc := readFile(t, filepath.Join(repoRoot, "docs", "lua-api.md"))
	for _, name := range api {
		if !strings.Contains(doc, name) {
			t.Errorf("docs/lua-api.md does not mention %s", name)
		}
	}
	var annotations string
	for _, name := range []string{"sandgate.lua", "policytest.lua"} {
		p := filepath.Join(repoRoot, "editor", "library", name)
		src := readFile(t, p)
		if _, err := parse.Parse(strings.NewReader(src), name); err != nil {
			t.Errorf("%s is not valid Lua: %v", p, err)
		}
		annotations += src
	}
	for _, name := range []string{
		"---@class sandgate.Request", "---@class sandgate.Context", "---@class sandgate.Response",
		"function fetch(", "function response(", "function deny(", "secrets = {}", "json = {}", "log = {}",
		"hosts = {}", "ratelimit = {}", "function test(", "function run(", "function eq(",
	} {
		if !strings.Contains(annotations, name) {
			t.Errorf("the editor annotations lack %q", name)
		}
	}
}

// The README and the docs link only to files in the repository, and those
// files exist; the OpenAPI document does not point outside it either.
func TestAuthoringDocsLinksStayInTheRepository(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	specs, _ := filepath.Glob(filepath.Join(repoRoot, "docs", "*.yaml"))
	for _, spec := range specs {
		if strings.Contains(readFile(t, spec), "shared/") {
			t.Errorf("%s points outside the repository (shared/)", spec)
		}
	}
	docs, _ := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	for _, doc := range append(docs, filepath.Join(repoRoot, "README.md")) {
		text := readFile(t, doc)
		if strings.Contains(text, "shared/") {
			t.Errorf("%s points outside the repository (shared/)", doc)
		}
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				t.Errorf("%s links outside the repository: %s", doc, target)
				continue
			}
			p := filepath.Join(filepath.Dir(doc), target)
			rel, err := filepath.Rel(repoRoot, p)
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s links outside the repository: %s", doc, target)
				continue
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s links to %s, which does not exist", doc, target)
			}
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
