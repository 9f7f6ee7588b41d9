package engine

import (
	"net"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine/hostpat"
)

// hostsMatch is hosts.match(pattern_or_list, host [, port]) with the host
// patterns of package hostpat. Without the port argument, host may carry one
// ("example.com:443", "[::1]:8443"); a host without any port is port 0,
// which matches portless patterns only.
func (v *vm) hostsMatch(L *lua.LState) int {
	var patterns []string
	switch p := L.CheckAny(1).(type) {
	case lua.LString:
		patterns = []string{string(p)}
	case *lua.LTable:
		if target := frozenTarget(p); target != nil {
			p = target
		}
		for i := 1; i <= p.Len(); i++ {
			s, ok := p.RawGetInt(i).(lua.LString)
			if !ok {
				L.RaiseError("hosts.match: pattern %d is a %s, want a string", i, p.RawGetInt(i).Type())
			}
			patterns = append(patterns, string(s))
		}
	default:
		L.ArgError(1, "pattern or list of patterns expected")
	}
	host, port := L.CheckString(2), 0
	if L.Get(3) != lua.LNil {
		port = L.CheckInt(3)
		if port < 1 || port > 65535 {
			L.RaiseError("hosts.match: invalid port %d", port)
		}
	} else {
		var err error
		if host, port, err = splitHostPort(host); err != nil {
			L.RaiseError("hosts.match: %v", err)
		}
	}
	ok, err := hostpat.MatchAny(patterns, hostpat.Normalize(host), port)
	if err != nil {
		L.RaiseError("hosts.match: %v", err)
	}
	L.Push(lua.LBool(ok))
	return 1
}

// splitHostPort splits "host:port" and "[v6]:port"; a bare host or a bare
// IPv6 literal has port 0.
func splitHostPort(s string) (string, int, error) {
	if !strings.HasPrefix(s, "[") && strings.Count(s, ":") != 1 {
		return s, 0, nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return s[1 : len(s)-1], 0, nil
	}
	host, ps, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, &net.AddrError{Err: "invalid port", Addr: s}
	}
	return host, port, nil
}
