package proxy

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/sandgate/sandgate/sandbox"
)

// proxyCredentials extracts <sandbox id>:<token> from Proxy-Authorization.
func proxyCredentials(h http.Header) (id, token string, ok bool) {
	v := h.Get("Proxy-Authorization")
	scheme, rest, found := strings.Cut(v, " ")
	if !found || !strings.EqualFold(scheme, "basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", false
	}
	id, token, ok = strings.Cut(string(raw), ":")
	return id, token, ok && id != "" && token != ""
}

// authenticate returns the sandbox named by the request's credentials.
func (s *Server) authenticate(h http.Header) (*sandbox.Sandbox, bool) {
	id, token, ok := proxyCredentials(h)
	if !ok {
		return nil, false
	}
	return s.reg.Authenticate(id, token)
}
