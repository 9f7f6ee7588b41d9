package upstream

import (
	"io"
	"log"
)

// quietLog drops the server's error log: the clients of a new-connection
// run close their connections abruptly, and the load generator counts
// every failure that matters on its side.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
