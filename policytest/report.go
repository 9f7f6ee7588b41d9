package policytest

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// report prints a test's outcome: always for a failure, with Verbose for a
// pass. A failure's message and what was logged during the test follow,
// indented.
func (r *runner) report(name string, elapsed time.Duration, msg string) {
	status := "PASS"
	if msg != "" {
		status = "FAIL"
		r.sum.Failed++
	} else {
		r.sum.Passed++
	}
	if msg == "" && !r.opts.Verbose {
		return
	}
	fmt.Fprintf(r.opts.Out, "--- %s: %s (%.2fs)\n", status, name, elapsed.Seconds())
	if msg != "" {
		writeIndented(r.opts.Out, msg)
	}
	if logs := strings.TrimSpace(r.logs.String()); logs != "" {
		for _, line := range strings.Split(logs, "\n") {
			fmt.Fprintf(r.opts.Out, "    log: %s\n", line)
		}
	}
}

// writeIndented writes msg's first line indented four spaces, the rest
// eight, as go test does.
func writeIndented(w interface{ Write([]byte) (int, error) }, msg string) {
	for i, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		indent := "        "
		if i == 0 {
			indent = "    "
		}
		fmt.Fprintf(w, "%s%s\n", indent, line)
	}
}

// positioned matches a message that starts with "FILE:LINE: ".
var positioned = regexp.MustCompile(`^[^\s:]+:\d+: `)

// withPosition puts "FILE:LINE: " before a message that has no position
// of its own (error("x", 0), error({})), at the line of the test.
func withPosition(msg, file string, line int) string {
	if positioned.MatchString(msg) {
		return msg
	}
	return fmt.Sprintf("%s:%d: %s", file, line, msg)
}
