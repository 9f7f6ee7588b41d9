package policytest

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"time"

	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/engine"
)

// Options configure a run of policy tests.
type Options struct {
	// Config gives the handlers (its scripts_dir), their limits and each
	// class's deny_status. If nil, a test file's handlers are the other
	// .lua files of its folder and a deny is 403.
	Config *config.Config
	// Run selects tests by "FILE/NAME" (FILE is the test file's base name),
	// unanchored. If nil, every test runs.
	Run *regexp.Regexp
	// Verbose prints a line for every passing test too.
	Verbose bool
	// Out receives the results; Err the files that do not load.
	Out, Err io.Writer
	// TestTimeout bounds one test's own Lua time (default 10s); a handler
	// it runs has the engine's handler time limit as well.
	TestTimeout time.Duration
}

// DefaultTestTimeout is Options.TestTimeout's default.
const DefaultTestTimeout = 10 * time.Second

// Summary is the outcome of a run.
type Summary struct {
	Passed, Failed int
	// Broken counts the files (test files, or handler folders) that did not
	// load: a syntax error, a failing top level, a handler that does not
	// compile.
	Broken int
}

// Run runs every *_test.lua file in paths (files or folders; a folder's
// own files only). The error is a usage problem: a path that does not
// exist or is not a test file. Results go to opts.Out, ending with the
// line "N passed, N failed".
func Run(opts Options, paths []string) (Summary, error) {
	if opts.TestTimeout <= 0 {
		opts.TestTimeout = DefaultTestTimeout
	}
	files, err := testFiles(paths)
	if err != nil {
		return Summary{}, err
	}
	r := &runner{opts: opts, engines: map[string]*handlers{}, logs: &bytes.Buffer{}}
	defer r.close()
	for _, f := range files {
		r.runFile(f)
	}
	fmt.Fprintf(opts.Out, "%d passed, %d failed\n", r.sum.Passed, r.sum.Failed)
	return r.sum, nil
}

// runner is one run: the handler engines by folder and the tally.
type runner struct {
	opts    Options
	engines map[string]*handlers // by handler folder; nil entry: did not load
	sum     Summary
	logs    *bytes.Buffer // what handlers and test files logged in the test in progress
}

// handlersFor returns the handlers of a test file, loading them on first
// use; nil when they do not load (reported once).
func (r *runner) handlersFor(file string) *handlers {
	dir := filepath.Dir(file)
	if r.opts.Config != nil {
		dir = r.opts.Config.ScriptsDir
	}
	if h, seen := r.engines[dir]; seen {
		return h
	}
	h, err := loadHandlers(dir, r.opts.Config, r.logs)
	if err != nil {
		r.broken(err)
	}
	r.engines[dir] = h
	return h
}

func (r *runner) broken(err error) {
	r.sum.Broken++
	fmt.Fprintln(r.opts.Err, err)
}

func (r *runner) close() {
	for _, h := range r.engines {
		if h != nil {
			h.eng.Close()
		}
	}
}

// loadError lists every handler that does not load, by its path.
func loadError(dir string, err error) error {
	le, ok := err.(*engine.LoadError)
	if !ok {
		return fmt.Errorf("policytest: handlers in %s: %w", dir, err)
	}
	msg := fmt.Sprintf("handlers in %s do not load:", dir)
	for _, se := range le.Errors {
		se.File = filepath.Join(dir, se.File)
		msg += "\n" + se.Error()
	}
	return fmt.Errorf("policytest: %s", msg)
}
