package observe

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Sizes of a FlushWriter's buffer.
const (
	flushAt     = 64 << 10 // the flusher is woken once this much waits
	maxBuffered = 4 << 20  // past this, a writer waits for the disk itself
)

// FlushWriter buffers writes and writes them out every interval, when 64 KiB
// are waiting, and on Close: the audit log then costs one write system call
// per batch instead of one per request. A line waits at most interval.
//
// The write to the underlying writer happens in the flusher's goroutine,
// outside the lock that Write takes, so a request finishing while a batch
// goes to disk appends to the next batch instead of waiting. Only when 4 MiB
// are waiting (the writer cannot keep up) does Write write out itself, so
// memory stays bounded and no line is dropped. Lines keep their order.
type FlushWriter struct {
	w io.Writer

	mu  sync.Mutex // guards buf
	buf []byte

	wmu   sync.Mutex // held while writing to w: batches go out in order
	spare []byte     // the buffer last written, reused for the next batch

	kick chan struct{}
	stop chan struct{}
	done chan struct{}

	// OnError, if non-nil, is told how many lines a failed batch lost.
	// Set it before the first Write.
	OnError func(lines int, err error)
	failing atomic.Bool
}

// Healthy reports whether the last batch was written whole.
func (f *FlushWriter) Healthy() bool { return !f.failing.Load() }

// NewFlushWriter starts the flusher; interval <= 0 means 100ms.
func NewFlushWriter(w io.Writer, interval time.Duration) *FlushWriter {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	f := &FlushWriter{w: w, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go f.loop(interval)
	return f
}

// Write buffers p (one whole line from the audit log). Its error is that of
// an earlier batch only when it had to write out itself.
func (f *FlushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	f.buf = append(f.buf, p...)
	n := len(f.buf)
	f.mu.Unlock()
	switch {
	case n >= maxBuffered:
		return len(p), f.Flush()
	case n >= flushAt:
		select {
		case f.kick <- struct{}{}:
		default: // already woken
		}
	}
	return len(p), nil
}

// Flush writes out what is buffered.
func (f *FlushWriter) Flush() error {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	f.mu.Lock()
	batch := f.buf
	f.buf = f.spare[:0]
	f.mu.Unlock()
	if len(batch) == 0 {
		f.spare = batch
		return nil
	}
	n, err := f.w.Write(batch)
	f.failing.Store(err != nil)
	if err != nil && f.OnError != nil {
		f.OnError(bytes.Count(batch[n:], []byte{'\n'}), err)
	}
	f.spare = nil
	if cap(batch) <= 2*maxBuffered {
		f.spare = batch[:0]
	}
	return err
}

func (f *FlushWriter) loop(interval time.Duration) {
	defer close(f.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-f.kick:
		case <-f.stop:
			return
		}
		_ = f.Flush()
	}
}

// Close stops the flusher and writes out what is left.
func (f *FlushWriter) Close() error {
	close(f.stop)
	<-f.done
	return f.Flush()
}
