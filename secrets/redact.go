package secrets

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

// Redacted is what a Redactor writes in place of a secret value.
const Redacted = "[redacted]"

// MinRedactLen is the shortest value a Redactor hides, in bytes. Shorter
// values are ignored: no real credential is that short, and hiding every
// "1", "yes" or "on" would garble log lines and, by what goes missing,
// disclose the value anyway.
const MinRedactLen = 4

// Redactor hides known secret values in text, for log lines and error
// messages. The engine keeps one per request and adds every value that the
// request read. The zero value is ready to use and hides nothing; a Redactor
// is safe for concurrent use.
type Redactor struct {
	mu     sync.RWMutex
	values map[string]struct{}
}

// NewRedactor returns a Redactor that hides values.
func NewRedactor(values ...string) *Redactor {
	r := &Redactor{}
	r.Add(values...)
	return r
}

// Add makes r hide values too. Values shorter than MinRedactLen are ignored.
// Besides each value as is, r hides its escaped forms as they appear inside
// a Go-quoted (%q) or JSON string, in case a log line quotes it.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.values == nil {
		r.values = make(map[string]struct{})
	}
	for _, v := range values {
		if len(v) < MinRedactLen {
			continue
		}
		r.values[v] = struct{}{}
		q := strconv.Quote(v)
		r.values[q[1:len(q)-1]] = struct{}{}
		if j, err := json.Marshal(v); err == nil {
			r.values[string(j[1:len(j)-1])] = struct{}{}
		}
	}
}

// AddFields makes r hide every value of a secret's fields.
func (r *Redactor) AddFields(fields map[string]string) {
	for _, v := range fields {
		r.Add(v)
	}
}

// Redact returns s with every occurrence of every value replaced by
// Redacted. Occurrences that overlap or touch merge into one Redacted, so
// no byte of any value survives, whatever the order values were added in.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.values) == 0 || s == "" {
		return s
	}
	// hidden[i] marks byte i of s as part of some value.
	var hidden []bool
	for v := range r.values {
		end := 0 // bytes before end are already marked for v
		for from := 0; ; {
			i := strings.Index(s[from:], v)
			if i < 0 {
				break
			}
			if hidden == nil {
				hidden = make([]bool, len(s))
			}
			start := from + i
			for k := max(start, end); k < start+len(v); k++ {
				hidden[k] = true
			}
			end = start + len(v)
			from = start + 1 // overlapping occurrences too
		}
	}
	if hidden == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !hidden[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(Redacted)
		for i < len(s) && hidden[i] {
			i++
		}
	}
	return b.String()
}
