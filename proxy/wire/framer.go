package wire

import (
	"bytes"
	"net/http"
)

// Events say what a call to Split saw.
type Events uint8

const (
	// HeadStarted: the first byte of a request head arrived.
	HeadStarted Events = 1 << iota
	// HeadDone: a request head is complete and valid (see Framer.Head).
	HeadDone
	// MessageDone: a request ended (its head and body); Split stopped there.
	MessageDone
)

type state uint8

const (
	stIdle      state = iota // between requests
	stHead                   // inside a head
	stBody                   // a Content-Length body
	stChunkSize              // a chunk-size line
	stChunkData              // a chunk's data
	stChunkCRLF              // the CRLF after a chunk's data
	stTrailer                // the trailer section of a chunked body
	stOpaque                 // a tunnel: no more HTTP
)

// maxChunkLine bounds a chunk-size or trailer line (net/http's limit).
const maxChunkLine = 4096

// Framer follows one connection's request stream. The zero value with
// MaxHead set is ready; it is not safe for concurrent use.
type Framer struct {
	// MaxHead bounds a request line plus its headers, in bytes.
	MaxHead int

	st    state
	head  []byte // the head in progress, at most MaxHead bytes
	left  int64  // bytes left of a Content-Length body or a chunk's data
	line  []byte // the chunk-size or trailer line in progress
	crlf  int    // bytes of a chunk's trailing CRLF seen
	last  Head
	lines int // trailer bytes seen
}

// Head is the framing of the last complete head.
func (f *Framer) Head() Head { return f.last }

// InHead reports whether part of a head has arrived but not all of it.
func (f *Framer) InHead() bool { return f.st == stHead }

// Idle reports whether the stream is between requests.
func (f *Framer) Idle() bool { return f.st == stIdle }

// Opaque switches the stream to a tunnel (an upgrade was accepted): what
// follows is no longer HTTP.
func (f *Framer) Opaque() { f.st = stOpaque }

// IsOpaque reports whether the stream is a tunnel.
func (f *Framer) IsOpaque() bool { return f.st == stOpaque }

// Split follows p, the bytes just read, and returns how many of them belong
// to the current request: p[:n] may be handed on; p[n:] starts the next
// request and is to be split again when the reader asks for the next head.
// On error nothing of p is to be handed on.
func (f *Framer) Split(p []byte) (n int, ev Events, err *Error) {
	for n < len(p) {
		var k int
		switch f.st {
		case stOpaque:
			return len(p), ev, nil
		case stIdle:
			f.st, f.head = stHead, f.head[:0]
			ev |= HeadStarted
			continue
		case stHead:
			var done bool
			k, done, err = f.headBytes(p[n:])
			if err != nil {
				return 0, ev, err
			}
			if done {
				ev |= HeadDone
			}
		case stBody:
			k = int(min(int64(len(p)-n), f.left))
			if f.left -= int64(k); f.left == 0 {
				f.st = stIdle
			}
		default:
			k, err = f.chunked(p[n:])
			if err != nil {
				return 0, ev, err
			}
		}
		n += k
		if f.st == stIdle || (f.st == stOpaque && ev&HeadDone != 0) {
			return n, ev | MessageDone, nil
		}
	}
	return n, ev, nil
}

// headBytes takes bytes of a head. It reports how many it used and whether
// the head is complete (then the state is the body's, or idle).
func (f *Framer) headBytes(b []byte) (int, bool, *Error) {
	start := len(f.head)
	take := min(len(b), f.MaxHead+4-start) // room to see a terminator just past the limit
	f.head = append(f.head, b[:take]...)
	end := headEnd(f.head, max(start-3, 0))
	if end < 0 {
		if len(f.head) >= f.MaxHead {
			return 0, false, f.tooLarge()
		}
		return take, false, nil
	}
	if end > f.MaxHead {
		return 0, false, f.tooLarge()
	}
	h, err := checkHead(f.head[:end])
	if err != nil {
		return 0, false, err
	}
	f.last = h
	switch {
	case h.Connect:
		f.st = stOpaque
	case h.Length < 0:
		f.st, f.line, f.lines = stChunkSize, f.line[:0], 0
	case h.Length > 0:
		f.st, f.left = stBody, h.Length
	default:
		f.st = stIdle
	}
	return end - start, true, nil
}

// headEnd returns the length of the head in b (through its empty line), or
// -1; the search starts at from.
func headEnd(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
	}
	return -1
}

func (f *Framer) tooLarge() *Error {
	if bytes.IndexByte(f.head, '\n') < 0 {
		return &Error{Status: http.StatusRequestURITooLong, Reason: "request line longer than proxy.max_header_bytes"}
	}
	return &Error{Status: http.StatusRequestHeaderFieldsTooLarge, Reason: "request line and headers longer than proxy.max_header_bytes"}
}
