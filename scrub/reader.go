package scrub

import (
	"errors"
	"io"
)

// chunkSize is how much a Reader reads from its source at once.
const chunkSize = 32 << 10

// maxEmptyReads bounds reads that return neither data nor an error, as
// bufio does.
const maxEmptyReads = 100

var errClosed = errors.New("scrub: read after close")

// Reader is a body with the values hidden. Each Read returns what is known
// to be final: everything the source sent except a tail that could still
// be the start of a value. Its memory is fixed: a chunk, the longest
// value, and the runs of the current chunk.
type Reader struct {
	a     *automaton
	src   io.Reader
	count *Counter
	onEOF func() // run once, when the source is at its end

	in    []byte // held bytes, then the chunk being read
	held  int    // bytes at the start of in kept from earlier reads
	base  int64  // stream position of in[0]
	state int32
	spans []span

	out    []byte
	outPos int
	err    error // the source's error, returned once out is drained
}

// Reader returns r with the values hidden. With no values it reads r as
// is. Close closes r if it is an io.Closer.
func (s *Scrubber) Reader(r io.Reader) *Reader {
	return s.reader(r, &Counter{}, nil)
}

func (s *Scrubber) reader(r io.Reader, c *Counter, onEOF func()) *Reader {
	rd := &Reader{src: r, count: c, onEOF: onEOF}
	if !s.Empty() {
		rd.a = s.automaton()
	}
	return rd
}

// Count returns the number of [redacted] written so far (for a Reader
// made by Response, with the response's headers and trailers).
func (r *Reader) Count() int64 { return r.count.Load() }

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.a == nil {
		return r.passRead(p)
	}
	for r.outPos == len(r.out) {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
	}
	n := copy(p, r.out[r.outPos:])
	r.outPos += n
	return n, nil
}

func (r *Reader) passRead(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.src.Read(p)
	if err == io.EOF && r.onEOF != nil {
		r.onEOF()
		r.onEOF = nil
	}
	return n, err
}

// fill reads once from the source and puts what became final into out.
func (r *Reader) fill() {
	if r.in == nil {
		r.in = getBuf(r.a.maxLen + chunkSize)
		r.out = getBuf(0)
	}
	r.out, r.outPos = r.out[:0], 0
	var n int
	var err error
	for try := 0; n == 0 && err == nil; try++ {
		if try == maxEmptyReads {
			err = io.ErrNoProgress
			break
		}
		n, err = r.src.Read(r.in[r.held:])
	}
	if n > 0 {
		r.scan(n)
	}
	switch {
	case err == io.EOF:
		r.emit(r.in[:r.held], r.base+int64(r.held))
		if r.onEOF != nil {
			r.onEOF()
		}
	case err != nil:
		// The held tail may be the start of a value: it is never sent.
		r.held, r.spans = 0, r.spans[:0]
	}
	r.err = err
}

// scan runs the automaton over the n new bytes, writes out what is final
// and keeps the rest at the start of in.
func (r *Reader) scan(n int) {
	win := r.in[:r.held+n]
	r.state, r.spans = r.a.scan(r.state, win, r.held, r.base, r.spans)
	keep := r.emit(win, r.base+int64(len(win)-r.a.held(r.state)))
	r.held = copy(r.in, win[keep-r.base:])
	r.base = keep
}

// emit writes win (which starts at stream position r.base) up to safe:
// before safe no later occurrence can start. A run that reaches past safe
// is written as [redacted] now and kept, marked shown, since a later
// occurrence may still extend it. It returns where the kept bytes start.
func (r *Reader) emit(win []byte, safe int64) int64 {
	cur, k := r.base, 0
	for ; k < len(r.spans) && r.spans[k].start < safe; k++ {
		sp := &r.spans[k]
		if sp.start > cur {
			r.out = append(r.out, win[cur-r.base:sp.start-r.base]...)
		}
		if !sp.shown {
			r.out = append(r.out, Redacted...)
			r.count.add(1)
			sp.shown = true
		}
		cur = sp.end
		if sp.end > safe {
			break // kept: spans[k] stays
		}
	}
	if cur < safe {
		r.out = append(r.out, win[cur-r.base:safe-r.base]...)
		cur = safe
	}
	r.spans = r.spans[:copy(r.spans, r.spans[k:])]
	return cur
}

// Close closes the source if it is an io.Closer. Later reads fail.
func (r *Reader) Close() error {
	if r.err == nil || r.err == io.EOF {
		r.err = errClosed
	}
	if r.in != nil {
		putBuf(r.in)
		putBuf(r.out)
		r.in = nil
	}
	r.out, r.outPos = nil, 0
	if c, ok := r.src.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
