package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sandgate/sandgate/proxy/wire"
)

// FuzzProxyRequest sends raw bytes to a proxy served in process ("{AUTH}"
// becomes the sandbox's Proxy-Authorization line, "{UP}" the upstream's
// address). Whatever comes in, the proxy must not panic, must answer with
// a well-formed response or close, must keep serving, and must never
// forward a request whose head the framer refuses.
func FuzzProxyRequest(f *testing.F) {
	for _, s := range []string{
		"GET http://{UP}/ok HTTP/1.1\r\nHost: {UP}\r\n{AUTH}\r\n",
		"POST http://{UP}/p HTTP/1.1\r\nHost: {UP}\r\n{AUTH}Content-Length: 5\r\n\r\nhello",
		"POST http://{UP}/p HTTP/1.1\r\nHost: {UP}\r\n{AUTH}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST http://{UP}/p HTTP/1.1\r\nHost: {UP}\r\n{AUTH}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"POST http://{UP}/p HTTP/1.1\r\nHost: {UP}\r\n{AUTH}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET http://{UP}/\x01 HTTP/1.1\r\nHost: {UP}\r\n{AUTH}\r\n",
		"GET http://{UP}/ HTTP/1.1\r\nHost: {UP}\r\n{AUTH}X: a\r\n b\r\n\r\n",
		"CONNECT {UP} HTTP/1.1\r\nHost: {UP}\r\n{AUTH}\r\nGET / HTTP/1.1\r\nHost: {UP}\r\n\r\n",
		"GET http://{UP}/a HTTP/1.1\r\nHost: {UP}\r\n{AUTH}\r\nGET http://{UP}/b HTTP/1.1\r\nHost: {UP}\r\n{AUTH}\r\n",
		"GET http://{UP}/ HTTP/1.1\r\nHost: {UP}\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	h := newHarness(f)
	up := strings.TrimPrefix(h.plain.URL, "http://")
	// An input the framer refuses is pointed at an upstream of its own,
	// which nothing may ever reach: counting there, not at the shared one,
	// an earlier input's forward still on its way cannot be taken for it.
	never := &counting{}
	ns := httptest.NewServer(never)
	f.Cleanup(ns.Close)
	neverUp := strings.TrimPrefix(ns.URL, "http://")
	auth := h.auth()
	f.Fuzz(func(t *testing.T, in []byte) {
		in = bytes.ReplaceAll(in, []byte("{AUTH}"), []byte(auth))
		if refused := bytes.ReplaceAll(in, []byte("{UP}"), []byte(neverUp)); firstHeadRefused(refused) {
			in = refused
		} else {
			in = bytes.ReplaceAll(in, []byte("{UP}"), []byte(up))
		}
		exchange(t, h.addr, in)
		if n := never.n.Load(); n != 0 {
			t.Fatalf("a request the framer refuses reached the upstream (%d so far; the last input was %q)", n, in)
		}
		// Still serving.
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		_, _ = io.WriteString(c, "GET http://"+up+"/health HTTP/1.1\r\nHost: "+up+"\r\n"+auth+"\r\n")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("after %q the proxy no longer serves: %v %v", in, res, err)
		}
	})
}

// firstHeadRefused reports whether the framer refuses the stream before
// its first request is complete.
func firstHeadRefused(in []byte) bool {
	fr := &wire.Framer{MaxHead: 64 << 10}
	_, ev, err := fr.Split(in)
	return err != nil && ev&wire.HeadDone == 0
}

// exchange writes in, half-closes, and reads responses until the proxy
// closes or goes quiet; each must parse.
func exchange(t *testing.T, addr string, in []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	_, _ = c.Write(in)
	_ = c.(*net.TCPConn).CloseWrite()
	br := bufio.NewReader(c)
	for {
		if _, err := br.Peek(1); err != nil {
			return
		}
		res, err := http.ReadResponse(br, &http.Request{Method: "GET"})
		if err != nil {
			b, _ := br.Peek(br.Buffered())
			if bytes.HasPrefix(b, []byte{0x15}) || bytes.HasPrefix(b, []byte{0x16}) {
				return // a TLS record inside a tunnel the input opened
			}
			t.Fatalf("the proxy answered %q with a malformed response: %v", in, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}
