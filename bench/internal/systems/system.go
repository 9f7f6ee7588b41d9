package systems

import (
	"net/url"
)

// Header is the header every system injects.
const Header = "X-Auth-Token"

// System is one thing the load generator can send requests through.
type System struct {
	Key     string   // short name: direct, sandgate-file, sandgate-vault, mitmproxy, squid
	Name    string   // for the report
	Version string   // of the proxy, for the report
	Proxy   *url.URL // proxy with credentials; nil sends requests directly
	CAFile  string   // PEM the client verifies the TLS server against
	Send    string   // header value the client sends itself (direct only)
	PID     int      // the proxy's main process; 0 for direct
	// Admin and AdminToken reach sandgate's admin API; empty for others.
	Admin, AdminToken string
	// Notes say how the system was set up, for the report.
	Notes []string

	proc *process
}

// Stop stops the system's processes; stopping twice is fine.
func (s *System) Stop() {
	if s.proc != nil {
		s.proc.stop()
	}
}

// Direct is no proxy: the client trusts the upstream's CA and sets the
// header itself.
func Direct(upstreamCAFile, secret string) *System {
	return &System{Key: "direct", Name: "direct (no proxy)", Version: "-", CAFile: upstreamCAFile, Send: secret,
		Notes: []string{"the client sets the header itself and talks TLS to the upstream"}}
}
