package observe

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// FlushWriter buffers writes and flushes them every interval, when the
// buffer fills, and on Close: the audit log then costs one write system
// call per batch instead of one per request. A line waits at most interval.
type FlushWriter struct {
	mu    sync.Mutex
	bw    *bufio.Writer
	dirty bool
	stop  chan struct{}
	done  chan struct{}
}

// NewFlushWriter starts the flusher; interval <= 0 means 100ms.
func NewFlushWriter(w io.Writer, interval time.Duration) *FlushWriter {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	f := &FlushWriter{bw: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go f.loop(interval)
	return f
}

// Write buffers p (one whole line from the handler).
func (f *FlushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dirty = true
	return f.bw.Write(p)
}

// Flush writes out what is buffered.
func (f *FlushWriter) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dirty = false
	return f.bw.Flush()
}

func (f *FlushWriter) loop(interval time.Duration) {
	defer close(f.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			f.mu.Lock()
			if f.dirty {
				f.dirty = false
				_ = f.bw.Flush()
			}
			f.mu.Unlock()
		case <-f.stop:
			return
		}
	}
}

// Close stops the flusher and flushes what is left.
func (f *FlushWriter) Close() error {
	close(f.stop)
	<-f.done
	return f.Flush()
}
