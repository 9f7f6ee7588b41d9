package engine

import (
	"net/http"
	"strconv"
	"strings"
)

// narrowEncoding makes a fetch of a call that has read a secret (or
// protected a value) ask for a response the proxy can scan for echoed
// secrets: gzip when the sandbox's own request offered it, else identity.
// It changes only the outgoing request, never the script's req.
func (cs *callState) narrowEncoding(out *http.Request) {
	if len(cs.secretVals) == 0 {
		return
	}
	enc := "identity"
	if offersGzip(cs.call.Request.Header.Values("Accept-Encoding")) {
		enc = "gzip"
	}
	if out.Header = out.Header.Clone(); out.Header == nil {
		out.Header = make(http.Header)
	}
	out.Header.Set("Accept-Encoding", enc)
}

// offersGzip reports whether Accept-Encoding values accept gzip: listed
// (or as x-gzip, or through *) with a weight above 0.
func offersGzip(vals []string) bool {
	star, gzip := false, -1 // gzip: -1 not listed, 0 refused, 1 accepted
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			ok := weight(params) > 0
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				gzip = max(gzip, b2int(ok))
			case "*":
				star = star || ok
			}
		}
	}
	return gzip == 1 || (gzip == -1 && star)
}

// weight is the q parameter of a coding (1 when absent or unreadable).
func weight(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return q
			}
		}
	}
	return 1
}

func b2int(b bool) int {
	if b {
		return 1
	}
	return 0
}
