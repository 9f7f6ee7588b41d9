package load

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"

	"github.com/coder/websocket"
)

// defaultMsgSize is the WebSocket message size when Config.MsgSize is 0.
const defaultMsgSize = 1024

// wsDriver is ModeWS: each worker holds a WebSocket connection of its own
// (wss through a CONNECT tunnel when there is a proxy) and sends a binary
// message of MsgSize bytes, then waits for its echo.
type wsDriver struct {
	cfg  Config
	http *http.Client
	dial *countingDialer
}

func newWSDriver(cfg Config) (*wsDriver, error) {
	if cfg.RootCAs == nil {
		return nil, errors.New("load: RootCAs is nil: TLS is always verified")
	}
	if cfg.MsgSize == 0 {
		cfg.MsgSize = defaultMsgSize
	}
	if cfg.MsgSize < 8 {
		return nil, errors.New("load: MsgSize must be at least 8 (a sequence number)")
	}
	dial := newDialer(cfg.timeout())
	tr := &http.Transport{DialContext: dial.DialContext, TLSClientConfig: &tls.Config{RootCAs: cfg.RootCAs},
		TLSHandshakeTimeout: cfg.timeout(), DisableCompression: true}
	if cfg.Proxy != nil {
		tr.Proxy = http.ProxyURL(cfg.Proxy)
	}
	// No Timeout: websocket.Dial refuses a client with one (a context
	// bounds the handshake instead).
	return &wsDriver{cfg: cfg, http: &http.Client{Transport: tr}, dial: dial}, nil
}

func (d *wsDriver) sender() sender {
	return &wsSender{d: d, msg: bytes.Repeat([]byte{'w'}, d.cfg.MsgSize)}
}
func (d *wsDriver) conns() int { return int(d.dial.n.Load()) }
func (d *wsDriver) shutdown()  { d.http.CloseIdleConnections() }

// wsSender is one worker's connection, dialed at its first message and
// again after a failure.
type wsSender struct {
	d   *wsDriver
	c   *websocket.Conn
	cs  *tls.ConnectionState
	msg []byte
	seq uint64
}

func (s *wsSender) dial(ctx context.Context) error {
	opts := &websocket.DialOptions{HTTPClient: s.d.http, CompressionMode: websocket.CompressionDisabled}
	if s.d.cfg.Send != "" {
		opts.HTTPHeader = http.Header{s.d.cfg.Header: {s.d.cfg.Send}}
	}
	c, res, err := websocket.Dial(ctx, s.d.cfg.URL, opts)
	if err != nil {
		if res != nil {
			return fmt.Errorf("load: WebSocket upgrade: status %d: %w", res.StatusCode, err)
		}
		return fmt.Errorf("load: WebSocket upgrade: %w", err)
	}
	c.SetReadLimit(int64(2 * len(s.msg)))
	s.c, s.cs = c, res.TLS
	return nil
}

func (s *wsSender) send(ctx context.Context) (exchange, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d.cfg.timeout())
	defer cancel()
	if s.c == nil {
		if err := s.dial(ctx); err != nil {
			return exchange{}, err
		}
	}
	s.seq++
	binary.BigEndian.PutUint64(s.msg, s.seq)
	if err := s.c.Write(ctx, websocket.MessageBinary, s.msg); err != nil {
		s.close()
		return exchange{}, fmt.Errorf("load: WebSocket write: %w", err)
	}
	typ, got, err := s.c.Read(ctx)
	if err != nil {
		s.close()
		return exchange{}, fmt.Errorf("load: WebSocket read: %w", err)
	}
	if typ != websocket.MessageBinary || !bytes.Equal(got, s.msg) {
		s.close()
		return exchange{}, fmt.Errorf("load: the echo differs from the message sent (%d bytes, want %d)", len(got), len(s.msg))
	}
	return exchange{tls: s.cs, proto: "websocket"}, nil
}

func (s *wsSender) close() {
	if s.c != nil {
		_ = s.c.CloseNow()
		s.c = nil
	}
}
