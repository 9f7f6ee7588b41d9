package proxy

import (
	"net/http"
	"net/textproto"
	"strings"
)

// hopHeaders are the hop-by-hop headers of RFC 9110 section 7.6.1 and the
// ones proxies traditionally treat that way.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// cleanHeaders removes hop-by-hop headers, any header named in Connection,
// and every Proxy-* header, so that a sandbox cannot smuggle one past a
// handler or strip what a handler injects.
func cleanHeaders(h http.Header) {
	removeHopHeaders(h)
	for name := range h {
		if len(name) > 6 && strings.EqualFold(name[:6], "proxy-") {
			delete(h, name)
		}
	}
}

// removeHopHeaders strips hop-by-hop headers and those named in
// Connection, from a request or from an upstream's response (the proxy's
// own writer sets framing again).
func removeHopHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		delete(h, name) // the names are canonical already: h.Del without re-canonicalising
	}
}
