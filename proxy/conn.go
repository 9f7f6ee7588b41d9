package proxy

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/sandbox"
)

// clientConn is a sandbox's connection to the proxy. It replaces martian's
// fixed per-request deadline (SetDeadline is ignored) with an idle time-out
// renewed by traffic, so a long download or event stream is never cut off
// while it moves, and it is closed when its sandbox is deleted.
type clientConn struct {
	net.Conn
	srv    *Server
	idle   time.Duration
	remote namedAddr

	readDL, writeDL atomic.Int64 // unix nanos of the deadline last set

	mu        sync.Mutex
	sandboxes map[*sandbox.Sandbox]struct{}
	tunnel    *tunnel
	closed    bool
	closeOnce sync.Once
}

// tunnel is the CONNECT a connection is inside of.
type tunnel struct {
	sandbox   *sandbox.Sandbox
	host      string // normalized CONNECT host
	port      int
	authority string // host:port as dialed
	// plain marks transparent plain HTTP: the host comes from each
	// request's Host header, the port from the original destination.
	plain bool
}

// newTunnel is the tunnel to host:port for sb.
func newTunnel(sb *sandbox.Sandbox, host string, port int) *tunnel {
	return &tunnel{sandbox: sb, host: host, port: port, authority: net.JoinHostPort(host, strconv.Itoa(port))}
}

// hostHeader is the Host header for host:port: the port only when it is not
// the scheme's default, IPv6 literals in brackets.
func hostHeader(host string, port, defaultPort int) string {
	if port != defaultPort {
		return net.JoinHostPort(host, strconv.Itoa(port))
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// parsePort parses a TCP port, 1 to 65535.
func parsePort(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0 && n <= 65535
}

func (c *clientConn) Read(p []byte) (int, error) {
	c.renew(&c.readDL, c.Conn.SetReadDeadline)
	return c.Conn.Read(p)
}

func (c *clientConn) Write(p []byte) (int, error) {
	c.renew(&c.writeDL, c.Conn.SetWriteDeadline)
	return c.Conn.Write(p)
}

// renew pushes a deadline forward; to keep the cost off the hot path it
// does so only when an eighth of the idle time has passed since the last.
func (c *clientConn) renew(last *atomic.Int64, set func(time.Time) error) {
	if c.idle <= 0 {
		return
	}
	now := time.Now()
	if now.UnixNano()+int64(c.idle) < last.Load()+int64(c.idle/8) {
		return
	}
	dl := now.Add(c.idle)
	last.Store(dl.UnixNano())
	_ = set(dl)
}

// SetDeadline is ignored: martian sets one per request (5 minutes by
// default), which would cut a long response. The idle time-out applies.
func (c *clientConn) SetDeadline(time.Time) error      { return nil }
func (c *clientConn) SetReadDeadline(time.Time) error  { return nil }
func (c *clientConn) SetWriteDeadline(time.Time) error { return nil }

// hardDeadline sets a real deadline on the socket (a handshake's time-out).
func (c *clientConn) hardDeadline(t time.Time) {
	c.readDL.Store(0)
	c.writeDL.Store(0)
	_ = c.Conn.SetDeadline(t)
}

// bind records that sb used this connection, so deleting sb closes it.
// It reports false when sb is already deleted.
func (c *clientConn) bind(sb *sandbox.Sandbox) bool {
	c.mu.Lock()
	if _, ok := c.sandboxes[sb]; ok || c.closed {
		c.mu.Unlock()
		return !c.closed
	}
	if c.sandboxes == nil {
		c.sandboxes = make(map[*sandbox.Sandbox]struct{}, 1)
	}
	c.sandboxes[sb] = struct{}{}
	c.mu.Unlock()
	return sb.Track(c) == nil
}

func (c *clientConn) setTunnel(t *tunnel) {
	c.mu.Lock()
	c.tunnel = t
	c.mu.Unlock()
}

func (c *clientConn) currentTunnel() *tunnel {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tunnel
}

// Close closes the socket once and forgets the connection.
func (c *clientConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		err = c.Conn.Close()
		c.mu.Lock()
		c.closed = true
		sbs := c.sandboxes
		c.sandboxes = nil
		c.mu.Unlock()
		for sb := range sbs {
			sb.Untrack(c)
		}
		c.srv.forget(c)
	})
	return err
}

// RemoteAddr is the client's address, formatted once.
func (c *clientConn) RemoteAddr() net.Addr { return c.remote }
