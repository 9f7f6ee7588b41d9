package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// end is one side of a joined tunnel: where its bytes come from and go
// to, and what can set its deadlines or half-close it (nil when it cannot).
type end struct {
	r        io.Reader
	w        io.Writer
	deadline interface{ SetReadDeadline(time.Time) error }
	wdl      interface{ SetWriteDeadline(time.Time) error }
	closeW   func() error // half-close; nil: close both sides at its EOF
	close    func() error
}

// joinEnds copies both ways until both directions end, then closes both
// sides. A direction ends at EOF (its peer is half-closed when it can be,
// else both sides close) or at an error (both close). The tunnel is idle,
// and closed, when neither side moved a byte for idle. It returns the bytes
// from a to b and from b to a.
func joinEnds(a, b end, idle time.Duration) (aToB, bToA int64) {
	j := &joiner{idle: idle}
	j.touch()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { _ = recover() }() // a panic here ends the tunnel, not the process
		bToA = j.copy(a, b)
	}()
	aToB = j.copy(b, a)
	wg.Wait()
	_ = a.close()
	_ = b.close()
	return aToB, bToA
}

type joiner struct {
	idle time.Duration
	last atomic.Int64 // unix nanos of the last byte either way
	once sync.Once
}

func (j *joiner) touch() { j.last.Store(time.Now().UnixNano()) }

func (j *joiner) quiet() bool {
	return time.Since(time.Unix(0, j.last.Load())) >= j.idle
}

// copy moves bytes from src to dst until src ends.
func (j *joiner) copy(dst, src end) int64 {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		j.arm(src, dst)
		k, err := src.r.Read(buf)
		if k > 0 {
			j.touch()
			m, werr := dst.w.Write(buf[:k])
			n += int64(m)
			if werr != nil {
				j.abort(src, dst)
				return n
			}
		}
		switch {
		case err == nil:
		case isDeadline(err) && !j.quiet():
			// The other direction moved meanwhile: the tunnel is not idle.
		case err == io.EOF && dst.closeW != nil:
			_ = dst.closeW()
			return n
		default:
			j.abort(src, dst)
			return n
		}
	}
}

// arm renews the read deadline of src and the write deadline of dst.
func (j *joiner) arm(src, dst end) {
	if j.idle <= 0 {
		return
	}
	dl := time.Now().Add(j.idle)
	if src.deadline != nil {
		_ = src.deadline.SetReadDeadline(dl)
	}
	if dst.wdl != nil {
		_ = dst.wdl.SetWriteDeadline(dl)
	}
}

// abort closes both sides, which ends the other direction too.
func (j *joiner) abort(a, b end) {
	j.once.Do(func() {
		_ = a.close()
		_ = b.close()
	})
}

func isDeadline(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// connEnd is a net.Conn as a tunnel end; r, if non-nil, is read instead of
// c (it holds bytes buffered before the join). A TCP connection can be
// half-closed.
func connEnd(c net.Conn, r io.Reader) end {
	if r == nil {
		r = c
	}
	e := end{r: r, w: c, deadline: c, wdl: c, close: c.Close}
	if cw, ok := underlyingTCP(c); ok {
		e.closeW = cw.CloseWrite
	}
	return e
}

// underlyingTCP finds the TCP socket under the proxy's own wrappers.
func underlyingTCP(c net.Conn) (*net.TCPConn, bool) {
	for {
		switch v := c.(type) {
		case *net.TCPConn:
			return v, true
		case *h1Conn:
			c = v.Conn
		case *clientConn:
			c = v.Conn
		case *upstreamConn:
			c = v.Conn
		case *peekedConn:
			c = v.Conn
		default:
			return nil, false
		}
	}
}
