package wire

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
)

// Head is what the framer learned from a request head.
type Head struct {
	// Length is the body length; -1 for a chunked body.
	Length int64
	// Connect is a CONNECT request: what follows the head is a tunnel.
	Connect bool
	// CloseAfter is set for a request with both Content-Length and
	// Transfer-Encoding (RFC 9112 section 6.3): it is answered, then its
	// connection is closed.
	CloseAfter bool
}

// checkHead validates a complete request head (request line and header
// lines, the final empty line included) and returns its framing.
func checkHead(b []byte) (Head, *Error) {
	line, rest := cutLine(b)
	h, http10, err := checkRequestLine(line)
	if err != nil {
		return Head{}, err
	}
	var f fields
	for len(rest) > 0 {
		line, rest = cutLine(rest)
		if len(line) == 0 {
			break
		}
		if err := f.add(line); err != nil {
			return Head{}, err
		}
	}
	return f.framing(h, http10)
}

// cutLine splits b after its first LF; the line has its CRLF or LF removed.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

func checkRequestLine(line []byte) (Head, bool, *Error) {
	method, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok || len(method) == 0 || !allToken(method) {
		return Head{}, false, badRequest("malformed request line")
	}
	target, version, ok := bytes.Cut(rest, []byte{' '})
	if !ok || len(target) == 0 {
		return Head{}, false, badRequest("malformed request line")
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return Head{}, false, badRequest("control character or space in the request target")
		}
	}
	if !validTarget(string(method), string(target)) {
		return Head{}, false, badRequest("malformed request target")
	}
	var http10 bool
	switch string(version) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		http10 = true
	default:
		if len(version) == 8 && bytes.HasPrefix(version, []byte("HTTP/")) && isDigit(version[5]) && version[6] == '.' && isDigit(version[7]) {
			return Head{}, false, &Error{Status: http.StatusHTTPVersionNotSupported, Reason: "only HTTP/1.0 and HTTP/1.1 are served here"}
		}
		return Head{}, false, badRequest("malformed HTTP version")
	}
	return Head{Connect: string(method) == http.MethodConnect}, http10, nil
}

// fields collects the header fields that decide framing.
type fields struct {
	contentLength int64
	hasLength     bool
	te            int // Transfer-Encoding field lines
	chunked       bool
	hosts         int
}

func (f *fields) add(line []byte) *Error {
	if line[0] == ' ' || line[0] == '\t' {
		return badRequest("obsolete line folding in a header")
	}
	name, value, ok := bytes.Cut(line, []byte{':'})
	if !ok || len(name) == 0 || !allToken(name) {
		return badRequest("malformed header line")
	}
	if !validValue(value) {
		return badRequest("control character in a header value")
	}
	value = trimOWS(value)
	switch {
	case equalFold(name, "Content-Length"):
		return f.length(value)
	case equalFold(name, "Transfer-Encoding"):
		f.te++
		f.chunked = equalFold(value, "chunked")
	case equalFold(name, "Host"):
		f.hosts++
	}
	return nil
}

func (f *fields) length(v []byte) *Error {
	n, ok := parseLength(v)
	if !ok {
		return badRequest("invalid Content-Length")
	}
	if f.hasLength && n != f.contentLength {
		return badRequest("two different Content-Lengths")
	}
	f.contentLength, f.hasLength = n, true
	return nil
}

func (f *fields) framing(h Head, http10 bool) (Head, *Error) {
	if f.hosts > 1 {
		return Head{}, badRequest("more than one Host header")
	}
	if f.hosts == 0 && !http10 && !h.Connect {
		return Head{}, badRequest("HTTP/1.1 request without a Host header")
	}
	switch {
	case f.te > 0 && http10:
		return Head{}, badRequest("Transfer-Encoding in an HTTP/1.0 request")
	case f.te > 1 || (f.te == 1 && !f.chunked):
		return Head{}, badRequest("unsupported Transfer-Encoding (only a single \"chunked\" is accepted)")
	case f.te == 1:
		h.Length, h.CloseAfter = -1, f.hasLength
	case f.hasLength:
		h.Length = f.contentLength
	}
	if h.Connect && h.Length != 0 {
		return Head{}, badRequest("CONNECT with a body")
	}
	return h, nil
}

// validTarget parses the target as net/http will (an authority for
// CONNECT), so that no head passes here that net/http refuses.
func validTarget(method, target string) bool {
	if method == http.MethodConnect && !strings.HasPrefix(target, "/") {
		target = "http://" + target
	}
	_, err := url.ParseRequestURI(target)
	return err == nil
}

// validValue reports a field value without control characters (HTAB aside).
func validValue(v []byte) bool {
	for _, c := range v {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		d := s[i]
		if d >= 'A' && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// tchar of RFC 9110 section 5.6.2.
func isToken(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', isDigit(c):
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

func allToken(b []byte) bool {
	for _, c := range b {
		if !isToken(c) {
			return false
		}
	}
	return true
}
