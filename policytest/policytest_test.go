package policytest

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/sandgate/sandgate/config"
)

// durations hides test durations, which vary.
var durations = regexp.MustCompile(`\(\d+\.\d\ds\)`)

func runTests(t *testing.T, opts Options, paths ...string) (Summary, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	opts.Out, opts.Err = &out, &errs
	sum, err := Run(opts, paths)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum, durations.ReplaceAllString(out.String(), "(X)"), errs.String()
}

func TestPassing(t *testing.T) {
	sum, out, errs := runTests(t, Options{Verbose: true}, "testdata/pass")
	if sum != (Summary{Passed: 6}) || errs != "" {
		t.Errorf("got %+v, stderr %q, output:\n%s", sum, errs, out)
	}
	for _, want := range []string{
		"--- PASS: limited_test.lua/buckets are per sandbox and start full in each test (X)\n",
		"--- PASS: limited_test.lua/a protected token is scrubbed from the answer (X)\n",
		"6 passed, 0 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("got output:\n%s\nwant it to contain %q", out, want)
		}
	}
}

func TestFailing(t *testing.T) {
	sum, out, _ := runTests(t, Options{}, "testdata/fail")
	if sum != (Summary{Passed: 1, Failed: 5}) {
		t.Errorf("got %+v, want 1 passed, 5 failed", sum)
	}
	want := []string{
		"--- FAIL: shop_test.lua/eq fails (X)\n" +
			"    shop_test.lua:7: eq: values differ\n" +
			"          at .status: got 200, want 201\n" +
			"        got:  {body = \"ok\", status = 200}\n" +
			"        want: {body = \"ok\", status = 201}\n",
		"--- FAIL: shop_test.lua/assert fails (X)\n    shop_test.lua:11: not today\n",
		"--- FAIL: shop_test.lua/error without a position (X)\n    shop_test.lua:14: plain\n",
		"    shop_test.lua:19: run: shop fetched GET https://shop.example/buy, but run's opts have no upstream: nothing leaves the machine\n",
		"    shop_test.lua:23: run: no handler \"shopp\" in testdata/fail (there are: shop)\n",
		"1 passed, 5 failed\n",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("got output:\n%s\nwant it to contain %q", out, w)
		}
	}
	if strings.Contains(out, "PASS") {
		t.Errorf("a passing test was listed without -v:\n%s", out)
	}
}

func TestRunSelects(t *testing.T) {
	sum, out, _ := runTests(t, Options{Run: regexp.MustCompile(`shop_test.lua/(passes|assert)`)}, "testdata/fail")
	if sum != (Summary{Passed: 1, Failed: 1}) || !strings.Contains(out, "assert fails") {
		t.Errorf("got %+v:\n%s", sum, out)
	}
}

func TestBrokenFiles(t *testing.T) {
	sum, out, errs := runTests(t, Options{}, "testdata/broken", "testdata/badhandler", "testdata/pass")
	if sum.Broken != 2 || sum.Passed != 6 {
		t.Errorf("got %+v, want 2 broken and the 6 good tests run", sum)
	}
	for _, w := range []string{
		"testdata/broken/syntax_test.lua:3:1: syntax error near 'end'",
		"handlers in testdata/badhandler do not load:\ntestdata/badhandler/h.lua:3:1: syntax error near 'end'",
	} {
		if !strings.Contains(errs, w) {
			t.Errorf("got stderr %q, want it to contain %q", errs, w)
		}
	}
	if !strings.HasSuffix(out, "6 passed, 0 failed\n") {
		t.Errorf("got output %q", out)
	}
}

func TestConfigGivesHandlersAndDenyStatus(t *testing.T) {
	cfg, err := config.Load("testdata/withconfig/sandgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sum, out, errs := runTests(t, Options{Config: cfg}, "testdata/withconfig/tests")
	if sum != (Summary{Passed: 2}) {
		t.Errorf("got %+v, stderr %q:\n%s", sum, errs, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, paths := range [][]string{{"testdata/nothere"}, {"testdata/pass/limited.lua"}} {
		var out bytes.Buffer
		if _, err := Run(Options{Out: &out, Err: &out}, paths); err == nil {
			t.Errorf("%q: got no error", paths)
		}
	}
}

// The shipped handlers' tests pass (integration runs them through the
// binary as well).
func TestShippedScripts(t *testing.T) {
	sum, out, errs := runTests(t, Options{}, "../scripts")
	if sum.Failed != 0 || sum.Broken != 0 || sum.Passed < 16 {
		t.Errorf("got %+v, stderr %q:\n%s", sum, errs, out)
	}
}
