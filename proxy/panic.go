package proxy

import (
	"fmt"
	"runtime/debug"
)

// logPanic logs a panic contained to one connection, with its stack.
func (s *Server) logPanic(where string, r any) {
	s.log.Error("panic "+where+"; the connection is closed, the gateway goes on",
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
}
