package engine

import (
	"io"
	"net/http"
	"strings"
)

// readCapped reads body whole if it is at most limit bytes. For a bigger one
// it returns rest instead: a body that yields what was read and then the
// remainder, so the stream can still go on untouched.
func readCapped(body io.ReadCloser, length, limit int64) (s string, rest io.ReadCloser, err error) {
	if body == nil || body == http.NoBody {
		return "", nil, nil
	}
	if length > limit {
		return "", body, nil
	}
	var sb strings.Builder
	if length > 0 {
		sb.Grow(int(length))
	}
	n, err := io.Copy(&sb, io.LimitReader(body, limit+1))
	if err != nil {
		return "", nil, err
	}
	if n > limit {
		return "", prefixed{io.MultiReader(strings.NewReader(sb.String()), body), body}, nil
	}
	return sb.String(), nil, nil
}

type prefixed struct {
	io.Reader
	io.Closer
}
