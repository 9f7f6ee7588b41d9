package upstream

import (
	"net/http"

	"github.com/coder/websocket"
)

// maxWSMessage bounds a message the WebSocket echo reads.
const maxWSMessage = 1 << 20

// wsEcho upgrades a request that carries want in header (any value if
// want is empty), then sends back every message as it came.
func wsEcho(header, want string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if want != "" && r.Header.Get(header) != want {
			http.Error(w, "the upgrade lacks the injected header", http.StatusForbidden)
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(maxWSMessage)
		ctx := r.Context()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	})
}
