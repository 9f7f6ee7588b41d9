package engine

import "github.com/sandgate/sandgate/secrets"

// defaultMaxHeld bounds the distinct secret values one Lua state holds over
// its life; past it the state is discarded after its call, so redaction
// stays cheap and a long-lived state does not gather every sandbox's keys.
const defaultMaxHeld = 64

// heldSecrets are the secret values a Lua state has handed to scripts over
// its life (secrets.get and secrets.protect). A script may keep one in a
// chunk-level local or a global between calls, so every log line and error
// of the state is redacted with all of them, not only the current call's.
type heldSecrets struct {
	set      map[string]struct{}
	redactor *secrets.Redactor // built on first need, then extended
	pending  []string          // added since the redactor was last extended
}

func (h *heldSecrets) add(v string) {
	if _, ok := h.set[v]; ok {
		return
	}
	if h.set == nil {
		h.set = make(map[string]struct{})
	}
	h.set[v] = struct{}{}
	h.pending = append(h.pending, v)
}

// redact replaces every held value in s by [redacted]. The redactor is
// built only when a text needs it: a call that does not log or fail never
// pays for it.
func (h *heldSecrets) redact(s string) string {
	if len(h.set) == 0 {
		return s
	}
	if h.redactor == nil {
		h.redactor = secrets.NewRedactor()
	}
	if len(h.pending) > 0 {
		h.redactor.Add(h.pending...)
		h.pending = h.pending[:0]
	}
	return h.redactor.Redact(s)
}

// over reports whether the state holds more values than max and must not
// serve another call.
func (h *heldSecrets) over(max int) bool { return len(h.set) > max }
