package proxy

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/proxy/wire"
)

// h1Conn is a stream martian serves HTTP/1.1 on: the client socket itself,
// or the TLS (or plain) stream inside an intercepted tunnel. Every byte
// martian reads passes the framer (proxy/wire) first, which bounds and
// checks each request head, answers a bad one (400, 408, 414, 431, 505)
// and hands martian no more than the request in progress, so a pipelined
// request is checked too. Deadlines are its own: a head must be complete
// within proxy.header_timeout of its first byte, the wait for a next
// request and any body are bounded by proxy.idle_timeout, renewed by
// traffic; martian's fixed per-request deadline is ignored.
//
// After a CONNECT (or an accepted upgrade) the stream is opaque: reads and
// writes and deadlines pass through untouched, for the tunnel on top.
type h1Conn struct {
	net.Conn // the stream: socket, *tls.Conn, or a peeked reader over the socket
	cc       *clientConn
	srv      *Server
	tun      *tunnel // nil on the proxy's own port (absolute-form requests)

	// Read side: only martian's reader goroutine (one at a time) uses these.
	fr     wire.Framer
	buf    []byte // bytes read past the current request
	off    int
	rerr   error     // a read error held back behind buffered bytes
	headDL time.Time // the current head must be complete by then
	heads  int       // heads completed
	readDL time.Time
	renewR bool // readDL is an idle deadline that may be renewed lazily

	wmu         sync.Mutex // serializes writes of interim responses with the response
	writeDL     time.Time
	respStarted bool // the response to the current request has begun

	closeAfter atomic.Bool // answer the current request, then close (CL and TE both)
	isOpaque   atomic.Bool // mirrors the framer, for the write side
	stopped    atomic.Bool // reads end soon: the connection is closing
	ended      atomic.Bool // the response was cut short: no next request

	done      chan struct{} // if non-nil, closed when the stream is closed
	closeOnce sync.Once
}

func (s *Server) newH1(stream net.Conn, cc *clientConn, t *tunnel) *h1Conn {
	c := &h1Conn{Conn: stream, cc: cc, srv: s, tun: t}
	c.fr.MaxHead = s.opts.MaxHeaderBytes
	cc.serving(c)
	return c
}

func (c *h1Conn) Read(p []byte) (int, error) {
	if c.ended.Load() {
		return 0, errCutShort
	}
	if c.fr.IsOpaque() {
		return c.readOpaque(p)
	}
	var n int
	var err error
	fromBuf := c.off < len(c.buf)
	if fromBuf {
		n = copy(p, c.buf[c.off:])
		c.off += n
	} else if c.rerr != nil {
		return 0, c.rerr
	} else {
		c.armRead(time.Now())
		n, err = c.Conn.Read(p)
		if n == 0 {
			c.rerr = c.readFailed(err)
			return 0, c.rerr
		}
	}
	k, ev, ferr := c.fr.Split(p[:n])
	if ferr != nil {
		c.refuse(ferr)
		c.rerr, c.off, c.buf = ferr, 0, nil // every later read fails the same way
		return 0, ferr
	}
	if ev&wire.HeadStarted != 0 {
		c.headDL = time.Now().Add(c.srv.opts.HeaderTimeout)
	}
	if ev&wire.HeadDone != 0 {
		c.headDone()
		if c.fr.IsOpaque() {
			c.isOpaque.Store(true)
		}
	}
	if k < n { // the rest starts the next request
		if fromBuf {
			c.off -= n - k
		} else {
			c.buf, c.off = append(c.buf[:0], p[k:n]...), 0
		}
	}
	if err != nil {
		c.rerr = err
		if k == n && c.off >= len(c.buf) {
			return k, err
		}
	}
	return k, nil
}

func (c *h1Conn) headDone() {
	c.heads++
	if c.fr.Head().CloseAfter {
		c.closeAfter.Store(true)
	}
	c.wmu.Lock()
	c.respStarted = false
	c.wmu.Unlock()
}

// readOpaque reads what was buffered past the CONNECT or upgrade, then the stream.
func (c *h1Conn) readOpaque(p []byte) (int, error) {
	if c.off < len(c.buf) {
		n := copy(p, c.buf[c.off:])
		c.off += n
		return n, nil
	}
	if c.rerr != nil {
		return 0, c.rerr
	}
	return c.Conn.Read(p)
}

var errCutShort = errors.New("proxy: the response was cut short; the connection ends")

// cutShort ends the stream after the response martian is writing: martian
// flushes what it has, then finds no next request and closes the
// connection, so the sandbox sees the response end where the upstream's did.
func (c *h1Conn) cutShort() { c.ended.Store(true) }

// stopReading gives what is left to read (a refused request's body that
// martian drains before it closes the connection) one second more: the
// response is on its way, and the sandbox may never send that body.
func (c *h1Conn) stopReading() {
	c.stopped.Store(true)
	_ = c.cc.Conn.SetReadDeadline(time.Now().Add(time.Second))
}

// armRead sets the read deadline the framer's state calls for.
func (c *h1Conn) armRead(now time.Time) {
	if c.stopped.Load() {
		return
	}
	var dl time.Time
	renew := false
	switch {
	case c.fr.InHead():
		dl = c.headDL
	case c.fr.Idle() && c.heads == 0:
		// A new stream's first request: the header time-out runs from the start.
		if !c.readDL.IsZero() && !c.renewR {
			return
		}
		dl = now.Add(c.srv.opts.HeaderTimeout)
	default: // the wait for a next request, or a body
		idle := c.srv.opts.IdleTimeout
		if idle <= 0 {
			dl = time.Time{}
			break
		}
		dl, renew = now.Add(idle), true
		if c.renewR && dl.Sub(c.readDL) < idle/8 {
			return // renewed recently enough: spare the system call
		}
	}
	if dl.Equal(c.readDL) && renew == c.renewR {
		return
	}
	c.readDL, c.renewR = dl, renew
	_ = c.cc.Conn.SetReadDeadline(dl)
}

// readFailed maps a failed read: a head cut off by the header time-out
// gets 408 first.
func (c *h1Conn) readFailed(err error) error {
	if err == nil {
		err = errors.New("proxy: empty read")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && c.fr.InHead() {
		c.refuse(&wire.Error{Status: http.StatusRequestTimeout, Reason: "request headers not received within proxy.header_timeout"})
	}
	return err
}

// refuse answers a refused request stream (when there is a status to
// answer) and counts it. The connection is closed by martian after the
// error that follows.
func (c *h1Conn) refuse(e *wire.Error) {
	if c.srv.opts.OnRefused != nil {
		c.srv.opts.OnRefused(e.Status)
	}
	if e.Status == 0 {
		return
	}
	body := `{"error":` + strconv.Quote(e.Reason) + "}\n"
	msg := "HTTP/1.1 " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status) + "\r\n" +
		"Content-Type: application/json\r\nCache-Control: no-store\r\nConnection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.cc.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Conn.Write([]byte(msg))
	c.writeDL = time.Time{}
}

func (c *h1Conn) Write(p []byte) (int, error) {
	if !c.isOpaque.Load() {
		c.wmu.Lock()
		c.armWrite(time.Now())
		c.wmu.Unlock()
	}
	return c.Conn.Write(p)
}

// armWrite renews the write deadline; wmu is held.
func (c *h1Conn) armWrite(now time.Time) {
	idle := c.srv.opts.IdleTimeout
	if idle <= 0 {
		return
	}
	dl := now.Add(idle)
	if dl.Sub(c.writeDL) < idle/8 {
		return
	}
	c.writeDL = dl
	_ = c.cc.Conn.SetWriteDeadline(dl)
}

// sendContinue writes "100 Continue" unless the response has begun.
func (c *h1Conn) sendContinue() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.respStarted {
		c.armWrite(time.Now())
		_, _ = c.Conn.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
	}
}

// startResponse marks the response to the current request as begun: no
// interim response may be written after this.
func (c *h1Conn) startResponse() {
	c.wmu.Lock()
	c.respStarted = true
	c.wmu.Unlock()
}

// opaque turns the stream into a tunnel: what the framer buffered past the
// request stays first in line for the tunnel's reads.
func (c *h1Conn) opaque() {
	c.fr.Opaque()
	c.isOpaque.Store(true)
}

// SetDeadline and its siblings are ignored while martian serves HTTP on the
// stream (martian sets a fixed deadline per request, which would cut a long
// download); on an opaque stream they reach the socket.
func (c *h1Conn) SetDeadline(t time.Time) error {
	if !c.isOpaque.Load() {
		return nil
	}
	return c.cc.Conn.SetDeadline(t)
}

func (c *h1Conn) SetReadDeadline(t time.Time) error {
	if !c.isOpaque.Load() {
		return nil
	}
	return c.cc.Conn.SetReadDeadline(t)
}

func (c *h1Conn) SetWriteDeadline(t time.Time) error {
	if !c.isOpaque.Load() {
		return nil
	}
	return c.cc.Conn.SetWriteDeadline(t)
}

// Close closes the stream and the socket under it.
func (c *h1Conn) Close() error {
	err := c.Conn.Close()
	_ = c.cc.Close()
	c.closeOnce.Do(func() {
		if c.done != nil {
			close(c.done)
		}
	})
	return err
}

// RemoteAddr is the client's address, formatted once.
func (c *h1Conn) RemoteAddr() net.Addr { return c.cc.remote }
