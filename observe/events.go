package observe

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Decisions are the values of Event.Decision, and of the decision filter.
var Decisions = []string{"allow", "deny", "handler", "error"}

// writeTimeout ends a stream whose reader has not taken a write for this
// long: its events were being dropped anyway.
const writeTimeout = time.Minute

// Drops is the line a stream sends, before the next event, when events
// were dropped for it because its reader fell behind.
type Drops struct {
	Dropped uint64 `json:"dropped"`
}

// ServeHTTP serves GET /v1/events: newline-delimited JSON (one Event per
// line, application/x-ndjson), flushed as records arrive, until the client
// goes away. Query parameters "sandbox" and "decision" (repeated or
// comma-separated) filter the stream.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := ParseFilter(r.URL.Query()["sandbox"], r.URL.Query()["decision"])
	for _, d := range f.Decisions {
		if !slices.Contains(Decisions, d) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("query \"decision\": %q is not one of allow, deny, handler, error", d))
			return
		}
	}
	s := b.Subscribe(f, 0)
	if s == nil {
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	defer s.Close()
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	st := &stream{w: w, rc: rc, enc: json.NewEncoder(w), s: s}
	for {
		select {
		case e := <-s.C:
			if st.write(e) != nil {
				return
			}
		case <-s.Done():
			return
		case <-r.Context().Done():
			return
		}
	}
}

// stream writes one subscriber's events.
type stream struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	enc      *json.Encoder
	s        *Subscription
	reported uint64
}

// maxBatch bounds how many queued events are written between flushes.
const maxBatch = 64

// write sends e and what else is already queued (up to maxBatch), then
// flushes once.
func (st *stream) write(e Event) error {
	_ = st.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	for i := 1; ; i++ {
		if err := st.reportDrops(); err != nil {
			return err
		}
		if err := st.enc.Encode(e); err != nil {
			return err
		}
		if i == maxBatch {
			return st.rc.Flush()
		}
		select {
		case e = <-st.s.C:
		default:
			return st.rc.Flush()
		}
	}
}

func (st *stream) reportDrops() error {
	n := st.s.Dropped()
	if n == st.reported {
		return nil
	}
	err := st.enc.Encode(Drops{Dropped: n - st.reported})
	st.reported = n
	return err
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
