package proxy

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

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

// authFailed counts a 407 and logs it, at most once a second per client
// address with the count since that address's last line.
func (s *Server) authFailed(cc *clientConn) {
	if s.opts.OnAuthFailure != nil {
		s.opts.OnAuthFailure()
	}
	ip := cc.remote.s
	if a, ok := addrOf(cc.remote); ok {
		ip = a.String()
	}
	s.authLog.note(ip)
}

// maxAuthLogAddrs bounds the addresses remembered between two log rounds;
// failures from further addresses are summed into one line.
const maxAuthLogAddrs = 10000

// authLog collects 407s per client address and logs each address at most
// once a second.
type authLog struct {
	log *slog.Logger

	mu      sync.Mutex
	counts  map[string]int
	other   int
	ticker  *time.Ticker
	stopped chan struct{}
}

func (a *authLog) note(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.counts == nil {
		a.counts = make(map[string]int)
		a.stopped = make(chan struct{})
		a.ticker = time.NewTicker(time.Second)
		go a.loop(a.ticker, a.stopped)
	}
	if _, ok := a.counts[addr]; !ok && len(a.counts) >= maxAuthLogAddrs {
		a.other++
		return
	}
	a.counts[addr]++
}

func (a *authLog) loop(t *time.Ticker, stopped chan struct{}) {
	for {
		select {
		case <-t.C:
			a.flush()
		case <-stopped:
			return
		}
	}
}

func (a *authLog) flush() {
	a.mu.Lock()
	counts, other := a.counts, a.other
	if len(counts) > 0 || other > 0 {
		a.counts, a.other = make(map[string]int, len(counts)), 0
	}
	a.mu.Unlock()
	for addr, n := range counts {
		a.log.Warn("proxy authentication failed (407)", "client", addr, "count", n, "since", "1s")
	}
	if other > 0 {
		a.log.Warn("proxy authentication failed (407) from more addresses", "count", other, "since", "1s")
	}
}

func (a *authLog) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ticker != nil {
		a.ticker.Stop()
		close(a.stopped)
		a.ticker = nil
	}
}
