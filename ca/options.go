package ca

import (
	"errors"
	"time"
)

// Defaults for the zero fields of Options.
const (
	DefaultName          = "sandgate sandbox CA"
	DefaultLeafCacheSize = 256
	// DefaultValidity is long enough for any sandbox we expect, short enough
	// that a CA certificate left in a trust store stops mattering soon; the
	// key itself never outlives the process.
	DefaultValidity = 30 * 24 * time.Hour
	// DefaultLeafValidity bounds a leaf; a cached leaf is renewed before it
	// runs out.
	DefaultLeafValidity = 7 * 24 * time.Hour
)

// backdate is how far before creation certificates become valid, to absorb
// clock skew between the proxy and the sandbox.
const backdate = time.Hour

// Options configures New. Every zero field takes its default.
type Options struct {
	// Name is the CA's subject common name, e.g. "sandgate sandbox abc".
	// If empty, DefaultName.
	Name string
	// LeafCacheSize is how many leaf certificates are kept (LRU). If zero,
	// DefaultLeafCacheSize.
	LeafCacheSize int
	// Validity is the CA certificate's lifetime from now. If zero,
	// DefaultValidity. No leaf outlives the CA.
	Validity time.Duration
	// LeafValidity is a leaf's lifetime from the moment it is minted, cut
	// short at the CA's NotAfter. If zero, DefaultLeafValidity.
	LeafValidity time.Duration
	// Now is the clock. If nil, time.Now.
	Now func() time.Time
	// OnLeaf, if non-nil, is called once per Leaf call that passes the
	// host check, with hit true when the leaf came from the cache. It is
	// meant for process-wide metrics counters; it must be fast and safe for
	// concurrent use.
	OnLeaf func(hit bool)
}

// withDefaults fills in the zero fields and rejects negative ones.
func (o Options) withDefaults() (Options, error) {
	if o.LeafCacheSize < 0 || o.Validity < 0 || o.LeafValidity < 0 {
		return o, errors.New("ca: negative LeafCacheSize, Validity or LeafValidity")
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.LeafCacheSize == 0 {
		o.LeafCacheSize = DefaultLeafCacheSize
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.LeafValidity == 0 {
		o.LeafValidity = DefaultLeafValidity
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}
