// Package scrub hides secret values in what an upstream sends back: every
// occurrence of each value, in header values, trailers and the body, is
// replaced by [redacted], also when it is split across reads. It streams:
// bytes are held back only while they could be the start of a value, so
// server-sent events still arrive one by one, and memory does not grow
// with the body.
//
// Occurrences that overlap (a value inside another, or two values sharing
// bytes) merge into one [redacted], so no byte of any value survives.
// Values shorter than MinLen bytes are ignored.
//
// The matcher is an Aho-Corasick automaton (a DFA over byte classes): its
// cost per byte does not grow with the number of values. A prefilter skips
// text where no value can start: a vectorized search for a few rare bytes
// when the values have them, else a bitmap of the values' 4-byte prefixes.
// The package knows nothing of Lua or the proxy.
package scrub

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// Redacted replaces each run of value bytes.
const Redacted = "[redacted]"

// MinLen is the shortest value scrubbed, in bytes: shorter ones would
// garble ordinary text (and by what went missing, tell the value anyway).
const MinLen = 6

// ErrUnscannable is returned by Response for a body in an encoding other
// than gzip or identity: its bytes cannot be searched.
var ErrUnscannable = errors.New("scrub: response encoding cannot be scanned")

// Scrubber hides a fixed set of values. It is safe for concurrent use; the
// automaton is built on first use. A Scrubber without values (none given,
// or all shorter than MinLen) changes nothing.
type Scrubber struct {
	values []string
	once   sync.Once
	a      *automaton
}

// New returns a Scrubber for values; values shorter than MinLen and
// duplicates are dropped.
func New(values []string) *Scrubber {
	s := &Scrubber{}
	for _, v := range values {
		if len(v) >= MinLen && !slices.Contains(s.values, v) {
			s.values = append(s.values, v)
		}
	}
	return s
}

// Empty reports whether s has no value to hide.
func (s *Scrubber) Empty() bool { return len(s.values) == 0 }

func (s *Scrubber) automaton() *automaton {
	s.once.Do(func() { s.a = newAutomaton(s.values) })
	return s.a
}

// String returns v with every value replaced, and the number of
// [redacted] written.
func (s *Scrubber) String(v string) (string, int) {
	if s.Empty() || len(v) < MinLen {
		return v, 0
	}
	a := s.automaton()
	buf := []byte(v)
	_, spans := a.scan(0, buf, 0, 0, nil)
	if len(spans) == 0 {
		return v, 0
	}
	out := make([]byte, 0, len(v)+len(spans)*len(Redacted))
	last := 0
	for _, sp := range spans {
		out = append(out, buf[last:sp.start]...)
		out = append(out, Redacted...)
		last = int(sp.end)
	}
	return string(append(out, buf[last:]...)), len(spans)
}

// Counter counts the replacements made for one response; it may be read
// while the body is still being read.
type Counter struct{ n atomic.Int64 }

// Load returns the number of [redacted] written so far, and for a header
// name that held a value, the header removed.
func (c *Counter) Load() int64 { return c.n.Load() }

func (c *Counter) add(n int) {
	if n > 0 {
		c.n.Add(int64(n))
	}
}
