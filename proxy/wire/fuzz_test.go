package wire

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"
)

// FuzzFramer holds the framer to net/http: every message it accepts parses
// there as one request whose body ends exactly where the framer said, so
// no byte of one request can be read as part of another.
func FuzzFramer(f *testing.F) {
	for _, s := range []string{
		"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: b\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n\x16\x03\x01",
		"GET / HTTP/1.0\n\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, stream []byte, step uint8) {
		fr := &Framer{MaxHead: 4096}
		var msg []byte
		b := stream
		for len(b) > 0 {
			piece := b
			if step > 0 && len(piece) > int(step) {
				piece = piece[:step]
			}
			n, ev, err := fr.Split(piece)
			if err != nil {
				return // refused: nothing more of the stream is read
			}
			if n == 0 {
				t.Fatalf("Split made no progress on %q", piece)
			}
			msg = append(msg, piece[:n]...)
			b = b[n:]
			if ev&MessageDone != 0 {
				checkMessage(t, msg, fr.Head())
				msg = msg[:0]
				if fr.IsOpaque() {
					return
				}
			}
		}
	})
}

func checkMessage(t *testing.T, msg []byte, h Head) {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(msg))
	req, err := http.ReadRequest(br)
	if err != nil {
		t.Fatalf("the framer accepted %q, net/http refuses it: %v", msg, err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatalf("the framer accepted %q, net/http's body reader fails: %v", msg, err)
	}
	if h.Length >= 0 && int64(len(body)) != h.Length {
		t.Fatalf("body of %q: net/http read %d bytes, the framer says %d", msg, len(body), h.Length)
	}
	if br.Buffered() != 0 {
		t.Fatalf("message %q: net/http left %d bytes unread: the framer cut it too late", msg, br.Buffered())
	}
}
