package proxy

import (
	"context"
	"errors"
	"io"
	"net/http/httputil"
	"reflect"
	"sync"
)

// finishBody wraps every response body on its way to the sandbox. It
// counts bytes, notices an upstream that cuts the body short (the record
// becomes an error, upstream_truncated, and onTruncate cuts the sandbox's
// side short too), and emits the request's record when the body is closed.
// For responses of unknown length (chunked, event streams) it flushes
// after every read when martian writes it, so that each event reaches the
// sandbox as it arrives.
//
// martian writes a response with res.Write into a bufio.Writer it flushes
// only at the end. net/http copies a chunked body with io.Copy into its
// chunked writer, so finishBody implements io.WriterTo and gets that writer;
// its exported Wire field is martian's bufio.ReadWriter, which can flush.
type finishBody struct {
	rc     io.ReadCloser
	srv    *Server
	rec    *Record
	ctx    context.Context // the request's: a read error after it ended is the client going away
	stream bool
	n      int64
	// onTruncate, if non-nil, is called once when the upstream body fails:
	// what came is still sent, then the sandbox's side ends.
	onTruncate func()
	// onClose, if non-nil, is called when the body is closed, before the record is emitted.
	onClose func()
	once    sync.Once
	failed  bool
}

func (b *finishBody) Read(p []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			b.srv.logPanic("reading a response body", r)
			b.cut(reasonInternal)
			n, err = 0, errPanicked
		}
	}()
	n, err = b.rc.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF && !b.failed {
		if b.ctx != nil && b.ctx.Err() != nil {
			return n, err // the sandbox went away; nothing was cut upstream
		}
		b.srv.log.Warn("upstream cut the response short", "request_id", b.rec.RequestID, "sandbox", b.rec.Sandbox,
			"host", b.rec.Host, "bytes", b.n, "err", err.Error())
		b.cut(reasonTruncated)
	}
	return n, err
}

var errPanicked = errors.New("proxy: internal error while serving the response")

// cut records the failure and cuts the sandbox's side short.
func (b *finishBody) cut(reason string) {
	b.failed = true
	b.rec.fail(reason)
	if b.onTruncate != nil {
		b.onTruncate()
	}
}

func (b *finishBody) Close() error {
	err := b.rc.Close()
	b.once.Do(func() {
		if b.onClose != nil {
			b.onClose()
		}
		b.rec.BytesDown = b.n
		b.srv.finish(b.rec)
	})
	return err
}

type flusher interface{ Flush() error }

// copyBufs are the buffers response bodies are copied through (a chunked
// writer offers no ReadFrom, so io.Copy would make one per response).
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// WriteTo copies the body to w, flushing after each read when streaming.
func (b *finishBody) WriteTo(w io.Writer) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	f := findFlusher(w)
	if !b.stream || f == nil {
		return io.CopyBuffer(w, onlyReader{b}, buf)
	}
	if err := f.Flush(); err != nil { // the headers, at once
		return 0, err
	}
	var total int64
	for {
		n, rerr := b.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			if err := f.Flush(); err != nil {
				return total, err
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// onlyReader hides WriteTo so io.Copy does not recurse.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// findFlusher returns something that flushes w's buffered output: w itself,
// or the Wire of net/http's chunked writer.
func findFlusher(w io.Writer) flusher {
	if f, ok := w.(flusher); ok {
		return f
	}
	if !chunkedWireOK {
		return nil
	}
	v := reflect.ValueOf(w)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	field := v.Elem().FieldByName("Wire")
	if !field.IsValid() || !field.CanInterface() {
		return nil
	}
	f, _ := field.Interface().(flusher)
	return f
}

// chunkedWireOK checks once that net/http's chunked writer still exposes
// its destination as Wire; if a Go release changes that, streaming falls
// back to flushing when the response ends.
var chunkedWireOK = func() bool {
	probe := &probeWriter{}
	cw := httputil.NewChunkedWriter(probe)
	v := reflect.ValueOf(cw)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return false
	}
	f := v.Elem().FieldByName("Wire")
	if !f.IsValid() || !f.CanInterface() {
		return false
	}
	w, ok := f.Interface().(*probeWriter)
	return ok && w == probe
}()

type probeWriter struct{}

func (*probeWriter) Write(p []byte) (int, error) { return len(p), nil }
