package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/state"
)

// recordOverrides is o as the store keeps it.
func recordOverrides(o *policy.Overrides) state.Overrides {
	var r state.Overrides
	if o.Allowed != nil {
		l := o.Allowed.Strings()
		if l == nil {
			l = []string{}
		}
		r.Allowed = &l
	}
	r.Denied = o.Denied.Strings()
	if o.TCPHosts != nil {
		l := o.TCPHosts.Strings()
		if l == nil {
			l = []string{}
		}
		r.TCPHosts = &l
	}
	if rl := o.RateLimit; rl != nil {
		r.RateLimit = &state.RateLimit{Requests: rl.Requests, Per: rl.Per.String(), Burst: rl.Burst}
	}
	r.Outbound = recordBinding(o.Outbound)
	if o.ByHost != nil && o.ByHost.Len() > 0 {
		r.ByHost = map[string]state.Binding{}
		for _, e := range o.ByHost.Entries() {
			r.ByHost[e.Pattern.String()] = *recordBinding(e.Value)
		}
	}
	return r
}

func recordBinding(b *policy.Binding) *state.Binding {
	if b == nil {
		return nil
	}
	params, _ := b.Params.(map[string]any)
	return &state.Binding{Handler: b.Handler, Params: params}
}

// compileOverrides turns a stored record's overrides back into the
// policy's form. A pattern that no longer parses is an error naming it.
func compileOverrides(r state.Overrides) (*policy.Overrides, error) {
	o := &policy.Overrides{}
	var err error
	if r.Allowed != nil {
		l, err := hostpat.ParseList(*r.Allowed)
		if err != nil {
			return nil, fmt.Errorf("allowed_hosts: %w", err)
		}
		o.Allowed = &l
	}
	if o.Denied, err = hostpat.ParseList(r.Denied); err != nil {
		return nil, fmt.Errorf("denied_hosts: %w", err)
	}
	if r.TCPHosts != nil {
		l, err := hostpat.ParseList(*r.TCPHosts)
		if err != nil {
			return nil, fmt.Errorf("tcp_hosts: %w", err)
		}
		o.TCPHosts = &l
	}
	if rl := r.RateLimit; rl != nil {
		per, err := time.ParseDuration(rl.Per)
		if err != nil || per <= 0 || rl.Requests <= 0 {
			return nil, fmt.Errorf("rate_limit: %d per %q is not a rate", rl.Requests, rl.Per)
		}
		o.RateLimit = &policy.RateLimit{Requests: rl.Requests, Per: per, Burst: rl.Burst}
	}
	o.Outbound = policyBinding(r.Outbound)
	if len(r.ByHost) > 0 {
		o.ByHost = &hostpat.Table[*policy.Binding]{}
		for pat, b := range r.ByHost {
			p, err := hostpat.Parse(pat)
			if err != nil {
				return nil, fmt.Errorf("outbound_by_host: %w", err)
			}
			o.ByHost.Set(p, policyBinding(&b))
		}
	}
	return o, nil
}

func policyBinding(b *state.Binding) *policy.Binding {
	if b == nil {
		return nil
	}
	pb := &policy.Binding{Handler: b.Handler}
	if b.Params != nil {
		pb.Params = b.Params
	}
	return pb
}

// generation tells one creation of an id from another: a hash of its CA
// certificate, which is new at every creation.
func generation(caCert []byte) string {
	sum := sha256.Sum256(caCert)
	return hex.EncodeToString(sum[:6])
}

// ETag is the entity tag of a stored record: its generation and version.
func ETag(rec *state.Sandbox) string {
	return etag(generation(rec.CACert), rec.Version)
}

// matchesIfMatch reports whether an If-Match header value (RFC 9110: "*"
// or a list of strong tags) accepts tag.
func matchesIfMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

func etag(gen string, version uint64) string {
	return fmt.Sprintf(`"%s.%d"`, gen, version)
}

func sameRate(a, b *policy.RateLimit) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
