package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP sandgate_open_connections Open client connections to the proxy.
# TYPE sandgate_open_connections gauge
sandgate_open_connections 1005
sandgate_requests_total{class="rel",decision="handler",handler="soak",protocol="h1",reason=""} 52054
sandgate_requests_total{class="rel",decision="error",handler="soak",protocol="h1",reason="handler_error"} 3
sandgate_requests_total{class="b",decision="handler",handler="x",protocol="h2",reason=""} 1
go_memstats_heap_inuse_bytes 1.2345e+07
not a sample
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		got   float64
		want  float64
		label string
	}{
		{name: "gauge", got: m.sum("sandgate_open_connections", nil), want: 1005},
		{name: "counter over labels", got: m.sum("sandgate_requests_total", nil), want: 52058},
		{name: "by label", got: m.sum("sandgate_requests_total", map[string]string{"decision": "handler"}), want: 52055},
		{name: "two labels", got: m.sum("sandgate_requests_total", map[string]string{"decision": "handler", "class": "b"}), want: 1},
		{name: "exponent", got: m.sum("go_memstats_heap_inuse_bytes", nil), want: 12345000},
		{name: "absent", got: m.sum("sandgate_nothing", nil), want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	by := m.by("sandgate_requests_total", "decision")
	if by["handler"] != 52055 || by["error"] != 3 || len(by) != 2 {
		t.Errorf("by decision: got %v", by)
	}
}

func TestParseFuzzOutput(t *testing.T) {
	for _, tc := range []struct {
		name, out   string
		err         error
		wantStatus  string
		wantExecs   int64
		wantCrashes int
		wantInput   string
		wantSeconds float64
	}{
		{name: "pass", out: "fuzz: elapsed: 0s, gathering baseline coverage: 0/70 completed\n" +
			"fuzz: elapsed: 3s, execs: 11646 (3849/sec), new interesting: 0 (total: 70)\n" +
			"fuzz: elapsed: 6s, execs: 14858 (1097/sec), new interesting: 0 (total: 70)\nPASS\nok  \tx\t6.5s\n",
			wantStatus: "ok", wantExecs: 14858},
		{name: "past a minute", out: "fuzz: elapsed: 1m39s, execs: 990112 (9913/sec), new interesting: 2 (total: 81)\n" +
			"fuzz: elapsed: 1m41s, execs: 1000000 (9901/sec), new interesting: 2 (total: 81)\nPASS\n",
			wantStatus: "ok", wantExecs: 1000000, wantSeconds: 101},
		{name: "crash", out: "fuzz: elapsed: 3s, execs: 500 (166/sec), new interesting: 1 (total: 9)\n" +
			"--- FAIL: FuzzFramer (3.10s)\n    --- FAIL: FuzzFramer (0.00s)\n        panic: boom\n" +
			"    Failing input written to testdata/fuzz/FuzzFramer/0123abcd\n    To re-run:\nFAIL\n",
			err: errors.New("exit status 1"), wantStatus: "crash", wantExecs: 500, wantCrashes: 1,
			wantInput: "testdata/fuzz/FuzzFramer/0123abcd"},
		{name: "build failure", out: "# x\n./a_test.go:3:1: syntax error\nFAIL\tx [build failed]\n",
			err: errors.New("exit status 1"), wantStatus: "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseFuzzOutput(tc.out, tc.err)
			if tc.wantSeconds != 0 && got.Seconds != tc.wantSeconds {
				t.Errorf("got %v fuzzing seconds, want %v", got.Seconds, tc.wantSeconds)
			}
			if got.Status != tc.wantStatus || got.Execs != tc.wantExecs || got.Crashes != tc.wantCrashes || got.Input != tc.wantInput {
				t.Errorf("got %+v; want status %s, %d execs, %d crashes, input %q", got, tc.wantStatus, tc.wantExecs, tc.wantCrashes, tc.wantInput)
			}
		})
	}
}

func TestIsFuzzName(t *testing.T) {
	for name, want := range map[string]bool{"Fuzz": true, "FuzzFramer": true, "Fuzz_x": true, "Fuzzy": false, "fuzzX": false, "TestFuzz": false} {
		if got := isFuzzName(name); got != want {
			t.Errorf("isFuzzName(%q): got %v, want %v", name, got, want)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for in, want := range map[string]string{"HTTP/1.1 408 Request Timeout\r\n": "status 408", "garbage": "other bytes", "": "other bytes"} {
		if got := statusOf([]byte(in)); got != want {
			t.Errorf("statusOf(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	r, err := parseRateLimit("100/1s/200")
	if err != nil || r.Requests != 100 || r.Per != time.Second || r.Burst != 200 {
		t.Errorf("got %+v, %v; want 100 per 1s, burst 200", r, err)
	}
	if r, err := parseRateLimit(""); r != nil || err != nil {
		t.Errorf("empty: got %+v, %v; want none", r, err)
	}
	for _, bad := range []string{"100", "100/1s", "x/1s/2", "100/soon/2", "0/1s/1"} {
		if _, err := parseRateLimit(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}

func TestGatewayConfig(t *testing.T) {
	y := gwConfig{MaxConnections: 11000, MaxMemory: "512MiB", HandlerTimeout: 10 * time.Second,
		Classes: map[string]classConfig{"noisy": {RateLimit: &rateLimit{Requests: 100, Per: time.Second, Burst: 200}}, "quiet": {}}}.yaml("/ca.pem")
	for _, want := range []string{"  max_connections: 11000\n", "  max_memory: 512MiB\n", "  handler_timeout: 10s\n",
		"state:\n  backend: memory\n", "    rate_limit: { requests: 100, per: 1s, burst: 200 }\n", "  quiet:\n"} {
		if !strings.Contains(y, want) {
			t.Errorf("config has no %q:\n%s", want, y)
		}
	}
	if strings.Contains(gwConfig{}.yaml("/ca.pem"), "max_pending_connections") {
		t.Error("a zero limit was written; it must stay at the gateway's default")
	}
}

func TestRedactor(t *testing.T) {
	var r redactor
	r.add("s3cret-value")
	r.add("")
	r.add("tok-123")
	if got := r.clean("a s3cret-value and tok-123"); got != "a [redacted] and [redacted]" {
		t.Errorf("got %q", got)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d): got %q, want %q", n, got, want)
		}
	}
}
