package observe

import (
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sandgate/sandgate/proxy"
)

// Audit writes one JSON line per finished request or tunnel.
//
// It sits on every request, so it encodes by appending into a pooled buffer
// rather than through slog or encoding/json (which cost about as much as a
// Lua handler call, most of it allocation). The line is the one a
// slog.JSONHandler would write for the same attributes.
type Audit struct {
	mu sync.Mutex // one Write per line, lines never interleaved
	w  io.Writer
}

// NewAudit returns an audit log that writes to w. Lines carry the request's
// arrival time as "time", "msg":"audit" and the fields of Event; no level.
func NewAudit(w io.Writer) *Audit {
	return &Audit{w: w}
}

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Observe writes r's line.
func (a *Audit) Observe(r *proxy.Record) {
	bp := lineBufs.Get().(*[]byte)
	b := appendAuditLine((*bp)[:0], NewEvent(r))
	a.mu.Lock()
	_, _ = a.w.Write(b)
	a.mu.Unlock()
	if cap(b) <= 64<<10 { // a huge path does not pin its buffer
		*bp = b
		lineBufs.Put(bp)
	}
}

// appendAuditLine appends e as one JSON object and a newline, with the keys
// in the order of Event's fields (Dropped, always zero here, left out).
func appendAuditLine(b []byte, e Event) []byte {
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","msg":"audit","request_id":`...)
	b = appendJSONString(b, e.RequestID)
	b = appendField(b, "sandbox", e.Sandbox)
	b = appendField(b, "class", e.Class)
	b = appendField(b, "protocol", e.Protocol)
	b = appendField(b, "method", e.Method)
	b = appendField(b, "scheme", e.Scheme)
	b = appendField(b, "host", e.Host)
	b = append(b, `,"port":`...)
	b = strconv.AppendInt(b, int64(e.Port), 10)
	b = appendField(b, "path", e.Path)
	b = appendField(b, "decision", e.Decision)
	b = appendField(b, "reason", e.Reason)
	b = appendField(b, "rule", e.Rule)
	b = appendField(b, "handler", e.Handler)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"bytes_up":`...)
	b = strconv.AppendInt(b, e.BytesUp, 10)
	b = append(b, `,"bytes_down":`...)
	b = strconv.AppendInt(b, e.BytesDown, 10)
	b = append(b, `,"redactions":`...)
	b = strconv.AppendInt(b, e.Redactions, 10)
	// Milliseconds with microsecond precision: 'f' with the shortest digits
	// is what encoding/json writes for numbers of this size.
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, e.DurationMS, 'f', -1, 64)
	b = append(b, `,"handler_ms":`...)
	b = strconv.AppendFloat(b, e.HandlerMS, 'f', -1, 64)
	b = appendField(b, "upstream", e.Upstream)
	return append(b, "}\n"...)
}

// appendField appends ,"key":"value"; key is a constant that needs no
// escaping.
func appendField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quote, backslash and control
// characters escaped, invalid UTF-8 bytes replaced by U+FFFD, and U+2028 and
// U+2029 escaped (as encoding/json and slog do) so a line is also valid
// JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
