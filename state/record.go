package state

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Sandbox is the stored record of one sandbox. Version counts its changes:
// a store sets it to 1 on Create and adds one on every Update, so a reader
// can tell a newer record from an older one and an admin client can name
// the one it read (ETag).
type Sandbox struct {
	ID       string            `json:"id"`
	Class    string            `json:"class"`
	Labels   map[string]string `json:"labels,omitempty"`
	SourceIP string            `json:"source_ip,omitempty"`
	Created  time.Time         `json:"created"`
	// Updated is when the record was last written (watch lag metric).
	Updated time.Time `json:"updated"`
	Version uint64    `json:"version"`
	// TokenHash is the SHA-256 of the token; the token itself is never kept.
	TokenHash []byte `json:"token_hash"`
	// CACert is the CA certificate, DER.
	CACert []byte `json:"ca_cert"`
	// CAKey is the CA private key sealed by a Sealer; never clear text.
	CAKey     []byte    `json:"ca_key_sealed"`
	Overrides Overrides `json:"overrides"`
}

// Overrides are a sandbox's runtime policy changes as written through the
// admin API: host patterns as strings, bindings with their params. A nil
// pointer means "not set" (the class's applies), unlike an empty list.
type Overrides struct {
	Allowed   *[]string          `json:"allowed_hosts,omitempty"`
	Denied    []string           `json:"denied_hosts,omitempty"`
	TCPHosts  *[]string          `json:"tcp_hosts,omitempty"`
	RateLimit *RateLimit         `json:"rate_limit,omitempty"`
	Outbound  *Binding           `json:"outbound,omitempty"`
	ByHost    map[string]Binding `json:"outbound_by_host,omitempty"`
}

// RateLimit is a sandbox's own request rate; Per is a Go duration string.
type RateLimit struct {
	Requests int    `json:"requests"`
	Per      string `json:"per"`
	Burst    int    `json:"burst"`
}

// Binding is a handler name and its params (a JSON object or nil).
type Binding struct {
	Handler string         `json:"handler"`
	Params  map[string]any `json:"params,omitempty"`
}

// Clone returns a deep copy, so a store never shares a record with its
// caller. Params are copied through JSON, which is what they are.
func (s *Sandbox) Clone() *Sandbox {
	if s == nil {
		return nil
	}
	c := *s
	c.Labels = maps.Clone(s.Labels)
	c.TokenHash = slices.Clone(s.TokenHash)
	c.CACert = slices.Clone(s.CACert)
	c.CAKey = slices.Clone(s.CAKey)
	c.Overrides = s.Overrides.clone()
	return &c
}

func (o Overrides) clone() Overrides {
	c := o
	if o.Allowed != nil {
		l := slices.Clone(*o.Allowed)
		c.Allowed = &l
	}
	c.Denied = slices.Clone(o.Denied)
	if o.TCPHosts != nil {
		l := slices.Clone(*o.TCPHosts)
		c.TCPHosts = &l
	}
	if o.RateLimit != nil {
		rl := *o.RateLimit
		c.RateLimit = &rl
	}
	if o.Outbound != nil {
		b := o.Outbound.clone()
		c.Outbound = &b
	}
	if o.ByHost != nil {
		c.ByHost = make(map[string]Binding, len(o.ByHost))
		for k, v := range o.ByHost {
			c.ByHost[k] = v.clone()
		}
	}
	return c
}

func (b Binding) clone() Binding {
	if b.Params == nil {
		return b
	}
	raw, err := json.Marshal(b.Params)
	if err != nil {
		return b // params came from JSON; this cannot happen
	}
	var p map[string]any
	_ = json.Unmarshal(raw, &p)
	b.Params = p
	return b
}

// SealAAD is what a sealed CA key is bound to: the sandbox id and a hash
// of its CA certificate. A key moved to another record, or a record whose
// certificate was changed, does not open.
func (s *Sandbox) SealAAD() []byte {
	sum := sha256.Sum256(s.CACert)
	return append(append([]byte(s.ID), 0), sum[:]...)
}

// Marshal encodes a record for a store.
func (s *Sandbox) Marshal() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("state: encoding sandbox %s: %w", s.ID, err)
	}
	return b, nil
}

// Unmarshal decodes a stored record; key names it in the error.
func Unmarshal(key string, b []byte) (*Sandbox, error) {
	var s Sandbox
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("state: decoding %s: %w", key, err)
	}
	if s.ID == "" {
		return nil, fmt.Errorf("state: decoding %s: record without an id", key)
	}
	return &s, nil
}
