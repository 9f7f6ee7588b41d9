package proxy

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/sandgate/sandgate/sandbox"
)

// clientConn is a client's socket, accepted on the proxy or transparent
// listener. It knows the sandboxes that used it (deleting one closes it),
// whether it has authenticated yet (connections that have not are the
// pending ones, capped by proxy.max_pending_connections) and when it was
// last given a deadline. Deadlines pass straight to the socket: the layers
// above (h1Conn, TLS, HTTP/2, tunnels) decide them.
type clientConn struct {
	net.Conn
	srv    *Server
	remote namedAddr

	mu        sync.Mutex
	sandboxes map[*sandbox.Sandbox]struct{}
	pend      *pendingEntry // nil once authenticated (or never pending)
	closed    bool
	closeOnce sync.Once
	cur       *h1Conn // the stream martian serves now (for RoundTrip)
}

// tunnel is the CONNECT (or transparent connection) a stream is inside of.
type tunnel struct {
	sandbox   *sandbox.Sandbox
	host      string // normalized target host
	port      int
	authority string // host:port as dialed
	scheme    string // of inner requests: https, or http for plain HTTP in a tunnel
	// fromHost marks transparent plain HTTP: the host comes from each
	// request's Host header, the port from the original destination.
	fromHost bool
}

// newTunnel is the tunnel to host:port for sb, carrying scheme.
func newTunnel(sb *sandbox.Sandbox, host string, port int, scheme string) *tunnel {
	return &tunnel{sandbox: sb, host: host, port: port, scheme: scheme,
		authority: net.JoinHostPort(host, strconv.Itoa(port))}
}

// defaultPort is the port of the tunnel's scheme.
func (t *tunnel) defaultPort() int {
	if t.scheme == "http" {
		return 80
	}
	return 443
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

// errConnClosed is returned by bind on a closed connection.
var errConnClosed = errors.New("connection closed")

// bind records that sb uses this connection, so that deleting sb closes it
// and the connection counts against sb's max_connections. The first bind
// also ends the connection's pending (unauthenticated) time.
func (c *clientConn) bind(sb *sandbox.Sandbox) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errConnClosed
	}
	if _, ok := c.sandboxes[sb]; ok {
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	if err := sb.Track(c); err != nil {
		return err
	}
	c.mu.Lock()
	if c.sandboxes == nil {
		c.sandboxes = make(map[*sandbox.Sandbox]struct{}, 1)
	}
	c.sandboxes[sb] = struct{}{}
	pend := c.pend
	c.pend = nil
	c.mu.Unlock()
	c.srv.pending.remove(pend)
	return nil
}

// serving records the stream martian now serves on this socket.
func (c *clientConn) serving(h *h1Conn) {
	c.mu.Lock()
	c.cur = h
	c.mu.Unlock()
}

func (c *clientConn) current() *h1Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

// Close closes the socket once, forgets the connection and untracks it from
// its sandboxes.
func (c *clientConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		err = c.Conn.Close()
		c.mu.Lock()
		c.closed = true
		sbs, pend := c.sandboxes, c.pend
		c.sandboxes, c.pend = nil, nil
		c.mu.Unlock()
		for sb := range sbs {
			sb.Untrack(c)
		}
		c.srv.pending.remove(pend)
		c.srv.forget(c)
	})
	return err
}

// RemoteAddr is the client's address, formatted once.
func (c *clientConn) RemoteAddr() net.Addr { return c.remote }
