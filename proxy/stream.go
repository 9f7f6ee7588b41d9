package proxy

import (
	"io"
	"net/http/httputil"
	"reflect"
	"sync"
)

// finishBody wraps every response body martian writes to the sandbox: it
// counts bytes, emits the request's record when martian closes it, and,
// for responses of unknown length (chunked, event streams), flushes after
// every read so that each event reaches the sandbox as it arrives.
//
// martian writes a response with res.Write into a bufio.Writer it flushes
// only at the end. net/http copies a chunked body with io.Copy into its
// chunked writer, so finishBody implements io.WriterTo and gets that writer;
// its exported Wire field is martian's bufio.ReadWriter, which can flush.
type finishBody struct {
	rc     io.ReadCloser
	srv    *Server
	rec    *Record
	stream bool
	n      int64
	once   sync.Once
}

func (b *finishBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *finishBody) Close() error {
	err := b.rc.Close()
	b.once.Do(func() {
		b.rec.BytesDown = b.n
		b.srv.finish(b.rec)
	})
	return err
}

type flusher interface{ Flush() error }

// WriteTo copies the body to w, flushing after each read when streaming.
func (b *finishBody) WriteTo(w io.Writer) (int64, error) {
	f := findFlusher(w)
	if !b.stream || f == nil {
		return io.Copy(w, onlyReader{b})
	}
	if err := f.Flush(); err != nil { // the headers, at once
		return 0, err
	}
	buf := make([]byte, 32<<10)
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
