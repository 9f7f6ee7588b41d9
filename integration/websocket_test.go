package integration

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsEcho is a WebSocket upstream that wants a bearer token and echoes
// every message.
func wsEcho(token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	})
}

// wsClient is an HTTP client for websocket.Dial through the gateway as sb.
func wsClient(t *testing.T, g *gateway, sb *sandbox) *http.Client {
	pu := &url.URL{Scheme: "http", Host: g.Proxy, User: url.UserPassword(sb.ID, sb.Token)}
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: sandboxTLS(t, sb, "")}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

const wsClasses = `  default:
    allowed_hosts: ["127.0.0.1"]
  closed:
    allowed_hosts: ["example.com"]
`

// TestWebSocketThroughHandler: an upgrade is decided like any request (a
// handler injects the credential), then joined byte for byte, over TLS
// and over plain HTTP; one audit line when it closes.
func TestWebSocketThroughHandler(t *testing.T) {
	ca := newUpstreamCA(t)
	tlsUp := ca.startTLS(t, wsEcho("ws-secret-77"))
	plainUp := httptest.NewServer(wsEcho("ws-secret-77"))
	t.Cleanup(plainUp.Close)
	g := startGateway(t, gatewayConfig{Classes: wsClasses, CAFiles: []string{ca.PEMFile},
		Secrets: map[string]map[string]string{"sandboxes/ws": {"token": "ws-secret-77"}}})
	sb := g.createSandbox(map[string]any{"id": "ws"})
	params := map[string]any{"header": "Authorization", "secret": "sandboxes/{sandbox_id}", "field": "token", "prefix": "Bearer "}
	for _, up := range []*httptest.Server{tlsUp, plainUp} {
		bind(g, "ws", "127.0.0.1:"+port(t, up.URL), "inject_header", params)
	}
	for _, tc := range []struct{ name, url string }{
		{"wss", "wss" + tlsUp.URL[len("https"):] + "/echo"},
		{"ws", "ws" + plainUp.URL[len("http"):] + "/echo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, res, err := websocket.Dial(ctx, tc.url, &websocket.DialOptions{HTTPClient: wsClient(t, g, sb)})
			if err != nil {
				t.Fatalf("dial: %v (response %v)", err, res)
			}
			c.SetReadLimit(1 << 20)
			if res.Header.Get("Sandgate-Request-Id") == "" {
				t.Error("the 101 has no Sandgate-Request-Id")
			}
			for _, msg := range []string{"hello", "world", string(make([]byte, 70000))} {
				if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
					t.Fatal(err)
				}
				_, got, err := c.Read(ctx)
				if err != nil || string(got) != msg {
					t.Fatalf("echo: got %d bytes, %v; want %d bytes back", len(got), err, len(msg))
				}
			}
			id := res.Header.Get("Sandgate-Request-Id")
			c.Close(websocket.StatusNormalClosure, "bye")
			a := auditByID(t, g, id)
			if a.num("status") != 101 || a.str("protocol") != "ws" || a.str("decision") != "handler" ||
				a.num("bytes_up") < 70000 || a.num("bytes_down") < 70000 {
				t.Errorf("got audit line %v, want status 101, protocol ws, decision handler, bytes both ways", a)
			}
		})
	}
}

// TestWebSocketRefusedAndClosed: a denied upgrade gets the deny before any
// upgrade; deleting the sandbox closes a joined connection.
func TestWebSocketRefusedAndClosed(t *testing.T) {
	ca := newUpstreamCA(t)
	tlsUp := ca.startTLS(t, wsEcho("t0ken-abc"))
	g := startGateway(t, gatewayConfig{Classes: wsClasses, CAFiles: []string{ca.PEMFile},
		Secrets: map[string]map[string]string{"sandboxes/ws2": {"token": "t0ken-abc"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	url := "wss" + tlsUp.URL[len("https"):] + "/echo"

	closed := g.createSandbox(map[string]any{"id": "closed", "class": "closed"})
	_, res, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: wsClient(t, g, closed)})
	if err == nil || res == nil || res.StatusCode != 403 || res.Header.Get("Sandgate-Decision") != "deny; reason=not_in_allowed_hosts" {
		t.Fatalf("denied upgrade: got %v, %v; want a 403 deny", res, err)
	}

	sb := g.createSandbox(map[string]any{"id": "ws2"})
	bind(g, "ws2", "127.0.0.1:"+port(t, tlsUp.URL), "inject_header",
		map[string]any{"header": "Authorization", "secret": "sandboxes/{sandbox_id}", "field": "token", "prefix": "Bearer "})
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: wsClient(t, g, sb)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	g.mustAPI(204, "DELETE", "/v1/sandboxes/ws2", nil)
	readCtx, readCancel := context.WithTimeout(ctx, 10*time.Second)
	defer readCancel()
	_, _, err = c.Read(readCtx)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after deleting the sandbox: got %v, want the connection closed", err)
	}
}
