package observe

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

// slogAuditLine is the line slog's JSON handler writes for e: the audit
// encoder must write the same bytes.
func slogAuditLine(e Event) []byte {
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.LevelKey {
			return slog.Attr{}
		}
		return a
	}})
	rec := slog.NewRecord(e.Time, slog.LevelInfo, "audit", 0)
	rec.AddAttrs(
		slog.String("request_id", e.RequestID), slog.String("sandbox", e.Sandbox), slog.String("class", e.Class),
		slog.String("protocol", e.Protocol), slog.String("method", e.Method), slog.String("scheme", e.Scheme), slog.String("host", e.Host),
		slog.Int("port", e.Port), slog.String("path", e.Path), slog.String("decision", e.Decision),
		slog.String("reason", e.Reason), slog.String("rule", e.Rule), slog.String("handler", e.Handler),
		slog.Int("status", e.Status), slog.Int64("bytes_up", e.BytesUp), slog.Int64("bytes_down", e.BytesDown),
		slog.Int64("redactions", e.Redactions),
		slog.Float64("duration_ms", e.DurationMS), slog.Float64("handler_ms", e.HandlerMS),
		slog.String("upstream", e.Upstream),
	)
	_ = h.Handle(context.Background(), rec)
	return buf.Bytes()
}

func TestAuditLineMatchesSlog(t *testing.T) {
	paths := []string{
		"/plain", "", `/q"uote\back`, "/ctl\x00\x01\x1f\x7f\n\r\t", "/ünïcödé/日本", "/bad\xff\xfe utf8\xc3",
		"/sep\u2028\u2029", "/html<>&'", "/emoji\U0001F600",
	}
	durations := []time.Duration{0, time.Microsecond, 1500 * time.Microsecond, 999999 * time.Microsecond,
		12*time.Second + 345678*time.Microsecond, 7 * time.Millisecond}
	for i, p := range paths {
		r := record("sb-"+p, "deny")
		r.Path = p
		r.Time = time.Date(2026, 11, 29, 13, 4, 5, i*123456789%1e9, time.FixedZone("x", 3600*(i-3)))
		r.Duration = durations[i%len(durations)]
		r.HandlerDuration = durations[(i+1)%len(durations)]
		r.BytesUp, r.BytesDown, r.Upstream, r.Rule = int64(i*1000), -1, "127.0.0.1:8443", "*.x"
		want := slogAuditLine(NewEvent(r))
		got := appendAuditLine(nil, NewEvent(r))
		if !bytes.Equal(got, want) {
			t.Errorf("path %q:\ngot  %s\nwant %s", p, got, want)
		}
	}
}

func BenchmarkAuditObserve(b *testing.B) {
	a := NewAudit(discard{})
	r := record("sb1", "handler")
	b.ReportAllocs()
	for b.Loop() {
		a.Observe(r)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
