package admin

import (
	"fmt"
	"net/http"
	"time"

	"github.com/sandgate/sandgate/policy"
)

// setTCPHosts replaces the class's tcp_hosts for the sandbox; null returns
// to the class's list. Every pattern needs a port.
func (a *API) setTCPHosts(w http.ResponseWriter, r *http.Request) {
	sb, ok := a.sandbox(w, r)
	if !ok {
		return
	}
	list, ok := hostList(w, r, true)
	if !ok {
		return
	}
	if !a.update(w, r, sb, func(o *policy.Overrides) error { o.TCPHosts = list; return nil }) {
		return
	}
	a.log.Info("tcp-hosts set", "sandbox", sb.ID, "runtime_list", list != nil)
	writeSandbox(w, sb)
}

type rateLimitBody struct {
	Requests int    `json:"requests"`
	Per      string `json:"per"`
	Burst    int    `json:"burst"`
}

// setRateLimit sets the sandbox's own rate limit; null returns to the
// class's. Either way the bucket starts full.
func (a *API) setRateLimit(w http.ResponseWriter, r *http.Request) {
	sb, ok := a.sandbox(w, r)
	if !ok {
		return
	}
	rl, err := decodeRateLimit(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !a.update(w, r, sb, func(o *policy.Overrides) error { o.RateLimit = rl; return nil }) {
		return
	}
	a.log.Info("rate-limit set", "sandbox", sb.ID)
	writeSandbox(w, sb)
}

func decodeRateLimit(r *http.Request) (*policy.RateLimit, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var body *rateLimitBody
	if err := decodeBytes(b, &body); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, nil
	}
	per, err := time.ParseDuration(body.Per)
	switch {
	case err != nil || per <= 0:
		return nil, fmt.Errorf("field \"per\": %q is not a positive duration such as \"1s\"", body.Per)
	case body.Requests <= 0:
		return nil, fmt.Errorf("field \"requests\" must be a positive number")
	case body.Burst < 0:
		return nil, fmt.Errorf("field \"burst\" must not be negative")
	}
	burst := body.Burst
	if burst == 0 {
		burst = body.Requests
	}
	return &policy.RateLimit{Requests: body.Requests, Per: per, Burst: burst}, nil
}
