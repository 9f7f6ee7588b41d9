package observe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/sandgate/sandgate/proxy"
)

func record(sandbox, decision string) *proxy.Record {
	return &proxy.Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), RequestID: "r-1", Sandbox: sandbox,
		Class: "default", Protocol: "h2", Method: "GET", Scheme: "https", Host: "example.com", Port: 443, Path: "/p",
		Decision: decision, Reason: "not_in_allowed_hosts", Status: 403, BytesDown: 90, Redactions: 2,
		Duration: 1500 * time.Microsecond}
}

func TestAuditLine(t *testing.T) {
	var buf bytes.Buffer
	NewAudit(&buf).Observe(record("sb1", "deny"))
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("audit line is not JSON: %v: %q", err, buf.String())
	}
	for k, want := range map[string]any{"time": "2026-01-02T03:04:05Z", "msg": "audit", "sandbox": "sb1",
		"decision": "deny", "reason": "not_in_allowed_hosts", "status": 403.0, "port": 443.0, "duration_ms": 1.5} {
		if got[k] != want {
			t.Errorf("got %s %v, want %v", k, got[k], want)
		}
	}
	if _, ok := got["level"]; ok {
		t.Errorf("audit line has a level: %q", buf.String())
	}
}

// The audit log and the event stream show the same fields.
func TestAuditAndEventFieldsAgree(t *testing.T) {
	var buf bytes.Buffer
	NewAudit(&buf).Observe(record("sb1", "deny"))
	var audit map[string]any
	_ = json.Unmarshal(buf.Bytes(), &audit)
	delete(audit, "msg")
	b, _ := json.Marshal(NewEvent(record("sb1", "deny")))
	var event map[string]any
	_ = json.Unmarshal(b, &event)
	if got, want := keys(audit), keys(event); !slices.Equal(got, want) {
		t.Errorf("got audit keys %v, want the event's %v", got, want)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestBrokerFilters(t *testing.T) {
	b := &Broker{}
	for _, tc := range []struct {
		name   string
		filter Filter
		want   []string // sandbox/decision of what arrives
	}{
		{"all", Filter{}, []string{"a/deny", "b/allow", "a/allow"}},
		{"sandbox", ParseFilter([]string{"a"}, nil), []string{"a/deny", "a/allow"}},
		{"decision", ParseFilter(nil, []string{"deny,error"}), []string{"a/deny"}},
		{"both", ParseFilter([]string{"b", "c"}, []string{"allow"}), []string{"b/allow"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := b.Subscribe(tc.filter, 10)
			defer s.Close()
			b.Observe(record("a", "deny"))
			b.Observe(record("b", "allow"))
			b.Observe(record("a", "allow"))
			var got []string
			for len(s.C) > 0 {
				e := <-s.C
				got = append(got, e.Sandbox+"/"+e.Decision)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBrokerDropsForSlowSubscriber(t *testing.T) {
	dropped := 0
	b := &Broker{OnDrop: func() { dropped++ }}
	slow := b.Subscribe(Filter{}, 2)
	fast := b.Subscribe(Filter{}, 100)
	for range 10 {
		b.Observe(record("a", "allow")) // must not block
	}
	if got, want := slow.Dropped(), uint64(8); got != want {
		t.Errorf("got %d dropped for the slow subscriber, want %d", got, want)
	}
	if got := fast.Dropped(); got != 0 {
		t.Errorf("got %d dropped for the fast subscriber, want 0", got)
	}
	if dropped != 8 {
		t.Errorf("got OnDrop called %d times, want 8", dropped)
	}
	slow.Close()
	if b.Len() != 1 {
		t.Errorf("got %d subscribers after Close, want 1", b.Len())
	}
	b.Close()
	select {
	case <-fast.Done():
	default:
		t.Error("Done not closed by the broker's Close")
	}
	if b.Subscribe(Filter{}, 1) != nil {
		t.Error("Subscribe after Close returned a subscription")
	}
	b.Observe(record("a", "allow")) // no panic, no subscriber
}

func TestEventsHandlerStreamsNDJSON(t *testing.T) {
	b := &Broker{}
	srv := httptest.NewServer(b)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/events?decision=deny", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if got := res.Header.Get("Content-Type"); got != "application/x-ndjson" {
		t.Errorf("got Content-Type %q, want application/x-ndjson", got)
	}
	// The handler has subscribed before it answered.
	b.Observe(record("a", "allow"))
	b.Observe(record("a", "deny"))
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var e Event
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	if e.Decision != "deny" || e.Sandbox != "a" {
		t.Errorf("got %+v, want the deny of a", e)
	}
}

func TestEventsHandlerRejectsBadDecision(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Broker{}).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/events?decision=maybe", nil))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "maybe") {
		t.Errorf("got %d %q, want 400 naming the value", rec.Code, rec.Body.String())
	}
}

func TestStreamReportsDrops(t *testing.T) {
	b := &Broker{}
	s := b.Subscribe(Filter{}, 1)
	defer s.Close()
	b.Observe(record("a", "allow"))
	b.Observe(record("a", "deny")) // dropped
	rec := httptest.NewRecorder()
	st := &stream{w: rec, rc: http.NewResponseController(rec), enc: json.NewEncoder(rec), s: s}
	if err := st.write(<-s.C); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
	if len(lines) != 2 || lines[0] != `{"dropped":1}` {
		t.Errorf("got %q, want a drop report then the event", lines)
	}
}

func TestMetricsCount(t *testing.T) {
	m := NewMetrics(MetricsOptions{Version: "test", Sandboxes: func() int { return 3 },
		OpenConns: func() int64 { return 2 }, SecretStats: func() (uint64, uint64, uint64) { return 5, 1, 0 }})
	m.Observe(record("a", "deny"))
	m.Observe(record("a", "deny"))
	h := record("a", "error")
	h.Reason, h.Handler, h.HandlerError, h.HandlerTimeout, h.HandlerDuration = "handler_error", "slow", true, true, time.Millisecond
	m.Observe(h)
	m.LeafLookup(true)
	m.Reload(false)
	m.EventDropped()
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"sandgate_requests_total", map[string]string{"decision": "deny", "reason": "not_in_allowed_hosts"}, 2},
		{"sandgate_requests_total", map[string]string{"decision": "error", "handler": "slow"}, 1},
		{"sandgate_handler_errors_total", map[string]string{"handler": "slow"}, 1},
		{"sandgate_handler_timeouts_total", map[string]string{"handler": "slow"}, 1},
		{"sandgate_handler_duration_seconds", map[string]string{"handler": "slow"}, 1},
		{"sandgate_request_duration_seconds", map[string]string{"decision": "deny"}, 2},
		{"sandgate_leaf_cert_lookups_total", map[string]string{"result": "hit"}, 1},
		{"sandgate_leaf_cert_lookups_total", map[string]string{"result": "miss"}, 0},
		{"sandgate_script_reloads_total", map[string]string{"result": "error"}, 1},
		{"sandgate_secret_lookups_total", map[string]string{"result": "hit"}, 5},
		{"sandgate_events_dropped_total", nil, 1},
		{"sandgate_sandboxes", nil, 3},
		{"sandgate_open_connections", nil, 2},
		{"sandgate_build_info", map[string]string{"version": "test"}, 1},
	} {
		if got := value(t, m, tc.name, tc.labels); got != tc.want {
			t.Errorf("got %s%v %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

func TestSandboxLabelIsOptional(t *testing.T) {
	for _, on := range []bool{false, true} {
		m := NewMetrics(MetricsOptions{SandboxLabel: on})
		m.Observe(record("sb-7", "allow"))
		got := value(t, m, "sandgate_requests_total", map[string]string{"sandbox": "sb-7"})
		if want := map[bool]float64{false: -1, true: 1}[on]; got != want {
			t.Errorf("SandboxLabel %v: got %v, want %v", on, got, want)
		}
	}
}

// value is the value (a histogram's count) of the one series of name whose
// labels include want; -1 when there is none.
func value(t *testing.T, m *Metrics, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, s := range mf.GetMetric() {
			if hasLabels(s, want) {
				switch {
				case s.Counter != nil:
					return s.Counter.GetValue()
				case s.Gauge != nil:
					return s.Gauge.GetValue()
				case s.Histogram != nil:
					return float64(s.Histogram.GetSampleCount())
				}
			}
		}
	}
	return -1
}

func hasLabels(s *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range s.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return false
		}
	}
	return true
}

func TestTimeoutsCountedFromRecords(t *testing.T) {
	m := NewMetrics(MetricsOptions{})
	r := record("a", "error")
	r.Reason, r.Handler, r.HandlerError, r.HandlerTimeout = "handler_error", "h", true, true
	m.Observe(r)
	other := record("a", "error")
	other.Reason, other.Handler, other.HandlerError = "handler_error", "h", true
	m.Observe(other)
	if got := value(t, m, "sandgate_handler_timeouts_total", map[string]string{"handler": "h"}); got != 1 {
		t.Errorf("got %v time-outs, want 1", got)
	}
	if got := value(t, m, "sandgate_handler_errors_total", map[string]string{"handler": "h"}); got != 2 {
		t.Errorf("got %v handler errors, want 2", got)
	}
}

func TestPprofNeedsAuth(t *testing.T) {
	mux := http.NewServeMux()
	MountPprof(mux, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer t" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	for _, tc := range []struct {
		path, auth string
		want       int
	}{
		{"/debug/pprof/", "", 401},
		{"/debug/pprof/goroutine?debug=1", "", 401},
		{"/debug/pprof/", "Bearer t", 200},
		{"/debug/pprof/goroutine?debug=1", "Bearer t", 200},
		{"/debug/pprof/cmdline", "Bearer t", 200},
	} {
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("GET %s auth %q: got %d, want %d", tc.path, tc.auth, rec.Code, tc.want)
		}
	}
}

func TestFlushWriterFlushesOnTickAndClose(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	w := lockedWriter{mu: &mu, b: &out}
	f := NewFlushWriter(w, 10*time.Millisecond)
	f.Write([]byte("one\n"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := out.String()
		mu.Unlock()
		if got == "one\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %q, want the line flushed by the ticker", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.Write([]byte("two\n"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "one\ntwo\n" {
		t.Fatalf("after Close: got %q, want %q", got, "one\ntwo\n")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// gatedWriter blocks every Write until release is closed, after saying it
// has started.
type gatedWriter struct {
	lockedWriter
	started chan struct{}
	release chan struct{}
}

func (g gatedWriter) Write(p []byte) (int, error) {
	select {
	case g.started <- struct{}{}:
	default:
	}
	<-g.release
	return g.lockedWriter.Write(p)
}

// A batch on its way to a slow disk does not hold up the next line.
func TestFlushWriterDoesNotBlockOnSlowWriter(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	g := gatedWriter{lockedWriter: lockedWriter{mu: &mu, b: &out}, started: make(chan struct{}, 1), release: make(chan struct{})}
	f := NewFlushWriter(g, time.Millisecond)
	f.Write([]byte("one\n"))
	select {
	case <-g.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the flusher never wrote")
	}
	done := make(chan struct{})
	go func() {
		f.Write([]byte("two\n"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Write waited for the batch being written")
	}
	close(g.release)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "one\ntwo\n" {
		t.Fatalf("got %q, want %q", got, "one\ntwo\n")
	}
}

// Concurrent writers, past the size that wakes the flusher and past the one
// that makes a writer write out itself: every line arrives whole, once, and
// each writer's lines in the order it wrote them.
func TestFlushWriterKeepsEveryLineInOrder(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	f := NewFlushWriter(lockedWriter{mu: &mu, b: &out}, time.Hour)
	const writers, lines = 4, 3000
	pad := strings.Repeat("x", 500)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				f.Write(fmt.Appendf(nil, "%d %d %s\n", w, i, pad))
			}
		})
	}
	wg.Wait()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, writers)
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var w, i int
		var p string
		if _, err := fmt.Sscanf(sc.Text(), "%d %d %s", &w, &i, &p); err != nil || p != pad || w < 0 || w >= writers {
			t.Fatalf("broken line %.40q: %v", sc.Text(), err)
		}
		if i != next[w] {
			t.Fatalf("writer %d: got line %d, want %d", w, i, next[w])
		}
		next[w]++
	}
	for w, n := range next {
		if n != lines {
			t.Errorf("writer %d: got %d lines, want %d", w, n, lines)
		}
	}
}
