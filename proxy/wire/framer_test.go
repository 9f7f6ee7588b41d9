package wire

import (
	"strings"
	"testing"
)

// splitAll feeds stream to a framer in pieces of size step (0: whole) and
// returns the messages it found and the first error.
func splitAll(stream string, step int) (msgs []string, heads []Head, err *Error) {
	f := &Framer{MaxHead: 1024}
	b := []byte(stream)
	var cur strings.Builder
	for len(b) > 0 {
		piece := b
		if step > 0 && len(piece) > step {
			piece = piece[:step]
		}
		n, ev, e := f.Split(piece)
		if e != nil {
			return msgs, heads, e
		}
		cur.Write(piece[:n])
		if ev&HeadDone != 0 {
			heads = append(heads, f.Head())
		}
		if ev&MessageDone != 0 {
			msgs = append(msgs, cur.String())
			cur.Reset()
		}
		b = b[n:]
		if f.IsOpaque() && ev&MessageDone != 0 {
			msgs = append(msgs, "opaque:"+string(b))
			return msgs, heads, nil
		}
	}
	if cur.Len() > 0 {
		msgs = append(msgs, "partial:"+cur.String())
	}
	return msgs, heads, nil
}

func TestFramerBoundaries(t *testing.T) {
	get := "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"
	post := "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
	chunked := "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
	for _, tc := range []struct {
		name   string
		stream string
		want   []string
	}{
		{"one GET", get, []string{get}},
		{"pipelined", get + post + get, []string{get, post, get}},
		{"chunked then GET", chunked + get, []string{chunked, get}},
		{"bare LF head", "GET / HTTP/1.1\nHost: a\n\n", []string{"GET / HTTP/1.1\nHost: a\n\n"}},
		{"chunk size with trailing space", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n",
			[]string{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n"}},
		{"CONNECT then tunnel bytes", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n\x16\x03\x01rest",
			[]string{"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", "opaque:\x16\x03\x01rest"}},
		{"partial head", "GET / HTTP/1.1\r\nHo", []string{"partial:GET / HTTP/1.1\r\nHo"}},
	} {
		for _, step := range []int{0, 1, 2, 7} {
			got, _, err := splitAll(tc.stream, step)
			if err != nil {
				t.Errorf("%s (step %d): error %v", tc.name, step, err)
				continue
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%s (step %d):\ngot  %q\nwant %q", tc.name, step, got, tc.want)
			}
		}
	}
}

func TestFramerHeads(t *testing.T) {
	for _, tc := range []struct {
		name string
		head string
		want Head
	}{
		{"no body", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", Head{}},
		{"length", "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", Head{Length: 10}},
		{"same length twice", "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n", Head{Length: 3}},
		{"chunked", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", Head{Length: -1}},
		{"length and chunked", "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", Head{Length: -1, CloseAfter: true}},
		{"connect", "CONNECT a:443 HTTP/1.1\r\n\r\n", Head{Connect: true}},
		{"http/1.0 without host", "GET http://a/ HTTP/1.0\r\n\r\n", Head{}},
	} {
		f := &Framer{MaxHead: 1024}
		_, ev, err := f.Split([]byte(tc.head))
		if err != nil || ev&HeadDone == 0 {
			t.Errorf("%s: got events %b, error %v", tc.name, ev, err)
			continue
		}
		if f.Head() != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, f.Head(), tc.want)
		}
	}
}

func TestFramerRefuses(t *testing.T) {
	long := strings.Repeat("a", 2000)
	for _, tc := range []struct {
		name   string
		stream string
		status int
		reason string
	}{
		{"two lengths", "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, "two different Content-Lengths"},
		{"bad length", "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400, "invalid Content-Length"},
		{"gzip TE", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400, "unsupported Transfer-Encoding"},
		{"two TE lines", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "unsupported Transfer-Encoding"},
		{"TE on 1.0", "PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0"},
		{"control char in target", "GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "control character"},
		{"control char in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400, "control character"},
		{"CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, "control character"},
		{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "malformed header line"},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400, "line folding"},
		{"no host", "GET / HTTP/1.1\r\n\r\n", 400, "without a Host"},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"},
		{"double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request line"},
		{"http/2 line", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "only HTTP/1.0"},
		{"garbage version", "GET / HTTP/x\r\nHost: a\r\n\r\n", 400, "malformed HTTP version"},
		{"empty first line", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request line"},
		{"long request line", "GET /" + long + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, "request line"},
		{"long headers", "GET / HTTP/1.1\r\nHost: a\r\nX: " + long + "\r\n\r\n", 431, "headers"},
		{"endless header", "GET / HTTP/1.1\r\nX: " + long, 431, "headers"},
		{"connect with body", "CONNECT a:1 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", 400, "CONNECT with a body"},
		{"bad chunk size", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, "chunk size"},
		{"chunk data without CRLF", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 0, "CRLF"},
		{"huge chunk size", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", 0, "chunk size"},
		{"endless chunk line", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + strings.Repeat("x", 5000), 0, "too long"},
		{"bare LF trailer", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\n\r\n", 0, "trailer"},
	} {
		for _, step := range []int{0, 1, 5} {
			_, _, err := splitAll(tc.stream, step)
			if err == nil {
				t.Errorf("%s (step %d): accepted", tc.name, step)
				continue
			}
			if err.Status != tc.status || !strings.Contains(err.Reason, tc.reason) {
				t.Errorf("%s (step %d): got %d %q, want %d containing %q", tc.name, step, err.Status, err.Reason, tc.status, tc.reason)
			}
		}
	}
}

func TestFramerHoldsAtMostMaxHead(t *testing.T) {
	f := &Framer{MaxHead: 1024}
	line := []byte("GET / HTTP/1.1\r\n")
	if _, _, err := f.Split(line); err != nil {
		t.Fatal(err)
	}
	chunk := []byte(strings.Repeat("X-A: b\r\n", 64))
	for i := 0; i < 100; i++ {
		if _, _, err := f.Split(chunk); err != nil {
			if err.Status != 431 {
				t.Fatalf("got %v, want 431", err)
			}
			if cap(f.head) > 2*1024+64 {
				t.Errorf("framer grew its head buffer to %d bytes for a 1024-byte limit", cap(f.head))
			}
			return
		}
	}
	t.Fatal("an endless header section was never refused")
}
