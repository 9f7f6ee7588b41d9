// Package wire follows the HTTP/1.1 request stream of one client
// connection as it is read, before any parser sees it: where each request
// head ends, whether it is well formed, how long its body is and where the
// next request starts. It bounds what a client can make the proxy hold for
// a head (MaxHead) and names the status a bad stream gets (400, 414, 431,
// 505).
//
// The proxy hands the bytes on to net/http's parser (through martian) only
// up to the end of the current message, so every request head, pipelined
// or not, is checked here first. The rules are a strict subset of what
// net/http accepts: whatever passes here parses the same way there.
package wire
