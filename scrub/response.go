package scrub

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
)

// Response hides values in res before it goes to the sandbox: the status
// text and header values now, the body as it is read, the trailers when
// the body ends. It returns the counter of replacements, which keeps
// counting while the body is read.
//
// With no values of MinLen bytes or more, res is left untouched. A body
// with Content-Encoding gzip (or x-gzip) is decoded to be searched and sent
// decoded: Content-Encoding and Content-Length are removed. A body without
// Content-Encoding (or identity) is searched as is and Content-Length is
// removed, since replacements change it. Any other encoding gives
// ErrUnscannable and leaves res untouched: the caller still owns and must
// close its body. A response without a body (HEAD, 204, 304) keeps its
// Content-Length and encoding headers.
func Response(res *http.Response, values []string) (*Counter, error) {
	c := &Counter{}
	s := For(values)
	if s.Empty() {
		return c, nil
	}
	hasBody := res.Body != nil && res.Body != http.NoBody
	gz := false
	if hasBody {
		var ok bool
		if gz, ok = encoding(res.Header); !ok {
			return c, ErrUnscannable
		}
	}
	c.add(s.Header(res.Header))
	status, n := s.String(res.Status)
	res.Status = status
	c.add(n)
	if !hasBody {
		return c, nil
	}
	var body io.Reader = struct{ io.Reader }{res.Body} // closed by closer, once
	if gz {
		body = &gunzip{src: body}
		res.Header.Del("Content-Encoding")
		res.Uncompressed = true
	}
	res.Header.Del("Content-Length")
	res.ContentLength = -1
	res.Body = &closer{Reader: s.reader(body, c, func() { c.add(s.Header(res.Trailer)) }), src: res.Body}
	return c, nil
}

// encoding reports whether the body is gzip (true) or plain (false), and
// false for ok when it is neither.
func encoding(h http.Header) (gz, ok bool) {
	vals := h.Values("Content-Encoding")
	switch {
	case len(vals) == 0:
		return false, true
	case len(vals) > 1:
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(vals[0])) {
	case "", "identity":
		return false, true
	case "gzip", "x-gzip":
		return true, true
	}
	return false, false
}

// gunzip decodes src, starting on first read so that Response does not
// block on the network.
type gunzip struct {
	src io.Reader
	zr  *gzip.Reader
	err error
}

func (g *gunzip) Read(p []byte) (int, error) {
	if g.zr == nil && g.err == nil {
		g.zr, g.err = gzip.NewReader(g.src)
	}
	if g.err != nil {
		return 0, g.err
	}
	return g.zr.Read(p)
}

// closer is the scrubbed body: reads go through the scrubber, Close closes
// the original body.
type closer struct {
	*Reader
	src io.Closer
}

func (c *closer) Close() error {
	c.Reader.Close()
	return c.src.Close()
}
