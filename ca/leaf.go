package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"time"
)

// cachedLeaf is a minted leaf and the time it should be replaced.
type cachedLeaf struct {
	cert    *tls.Certificate
	renewAt time.Time
}

// Leaf returns a certificate for host, signed by a's CA, with its key. host
// is a DNS name or an IP literal (brackets allowed), without a port; case
// and one trailing dot do not matter. An IP gets an IP SAN, a name a DNS
// SAN. Leaves are cached (LRU) per normalized host, so a hit returns the
// same *tls.Certificate, and concurrent misses for one host mint once.
//
// All leaves of an Authority share one ECDSA P-256 key, made on the first
// mint, so that minting costs one signature. That is safe because every
// leaf is presented by this process to this one sandbox, the only party
// that trusts the CA, and the key lives exactly as long as the CA key
// beside it: a leaf key that leaked would tell nothing the CA key would not.
// Other sandboxes have other CAs and other leaf keys.
func (a *Authority) Leaf(host string) (*tls.Certificate, error) {
	if a.destroyed.Load() {
		return nil, ErrDestroyed
	}
	name, ip, err := leafHost(host)
	if err != nil {
		return nil, err
	}
	if c := a.cached(name); c != nil {
		a.count(true)
		return c, nil
	}
	a.count(false)
	v, err, _ := a.flight.Do(name, func() (any, error) {
		if c := a.cached(name); c != nil {
			return c, nil
		}
		return a.mint(name, ip)
	})
	if err != nil {
		return nil, err
	}
	return v.(*tls.Certificate), nil
}

// cached returns the cached leaf for name if it is not due for renewal.
func (a *Authority) cached(name string) *tls.Certificate {
	c, ok := a.cache.Get(name)
	if !ok || !a.opts.Now().Before(c.renewAt) {
		return nil
	}
	return c.cert
}

// count records a hit or a miss.
func (a *Authority) count(hit bool) {
	if hit {
		a.hits.Add(1)
	} else {
		a.misses.Add(1)
	}
	if a.opts.OnLeaf != nil {
		a.opts.OnLeaf(hit)
	}
}

// mint signs a new leaf for name and caches it.
func (a *Authority) mint(name string, ip netip.Addr) (*tls.Certificate, error) {
	caKey, leafKey, err := a.keys()
	if err != nil {
		return nil, err
	}
	now := a.opts.Now()
	if !now.Before(a.cert.NotAfter) {
		return nil, ErrExpired
	}
	notAfter, renewAt := a.leafLifetime(now)
	tmpl, err := leafTemplate(name, ip, now, notAfter)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("ca: signing leaf for %q: %w", name, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: parsing leaf for %q: %w", name, err)
	}
	a.mints.Add(1)
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: leafKey, Leaf: leaf}
	return c, a.store(name, &cachedLeaf{cert: c, renewAt: renewAt})
}

// leafLifetime returns when a leaf minted now expires and when its cache
// entry should be replaced: somewhat before expiry, unless the CA's own
// expiry cut it short, in which case a new leaf would be no better.
func (a *Authority) leafLifetime(now time.Time) (notAfter, renewAt time.Time) {
	notAfter = now.Add(a.opts.LeafValidity)
	if notAfter.After(a.cert.NotAfter) {
		return a.cert.NotAfter, a.cert.NotAfter
	}
	margin := min(time.Hour, a.opts.LeafValidity/2)
	return notAfter, notAfter.Add(-margin)
}

// keys returns the CA key and the leaf key, making the leaf key on first use.
func (a *Authority) keys() (caKey, leafKey *ecdsa.PrivateKey, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.readyLocked(); err != nil {
		return nil, nil, err
	}
	if a.key == nil {
		return nil, nil, ErrDestroyed
	}
	if a.leafKey == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("ca: generating leaf key: %w", err)
		}
		a.leafKey = k
	}
	return a.key, a.leafKey, nil
}

// store caches a leaf unless a was destroyed while it was being minted, so
// that Destroy leaves no leaf (and no key) behind in the cache.
func (a *Authority) store(name string, c *cachedLeaf) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.key == nil {
		return ErrDestroyed
	}
	a.cache.Add(name, c)
	return nil
}
