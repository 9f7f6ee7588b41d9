package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// Errors returned by Leaf.
var (
	// ErrDestroyed is returned by Leaf after Destroy.
	ErrDestroyed = errors.New("ca: authority destroyed")
	// ErrExpired is returned by Leaf once the CA certificate has expired.
	ErrExpired = errors.New("ca: authority expired")
	// ErrInvalidHost is returned by Leaf for a host that is neither a DNS
	// name nor an IP literal.
	ErrInvalidHost = errors.New("ca: invalid host")
)

// Authority is the CA of one sandbox. Its private keys exist only in this
// struct: they are never written, logged or handed out, and Destroy drops
// them. All methods are safe for concurrent use.
type Authority struct {
	opts    Options
	cert    *x509.Certificate
	certPEM []byte

	mu      sync.Mutex        // guards the keys and adding to cache
	key     *ecdsa.PrivateKey // CA key; nil once destroyed
	leafKey *ecdsa.PrivateKey // shared by all leaves; made on the first mint
	pending *pendingPair      // RestoreLazy: what is parsed on first use
	failed  error             // RestoreLazy: why the pending pair did not parse

	cache     *lru.Cache[string, *cachedLeaf]
	flight    singleflight.Group
	destroyed atomic.Bool

	hits, misses, mints atomic.Uint64
}

// New creates an Authority with a fresh CA key and certificate. It costs one
// P-256 key generation and one signature, well under a millisecond.
func New(opts Options) (*Authority, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca: generating key: %w", err)
	}
	cert, err := selfSign(key, opts)
	if err != nil {
		return nil, err
	}
	cache, err := lru.New[string, *cachedLeaf](opts.LeafCacheSize)
	if err != nil {
		return nil, fmt.Errorf("ca: making leaf cache: %w", err)
	}
	return &Authority{
		opts:    opts,
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		key:     key,
		cache:   cache,
	}, nil
}

// selfSign makes and parses the CA certificate.
func selfSign(key *ecdsa.PrivateKey, opts Options) (*x509.Certificate, error) {
	tmpl, err := caTemplate(key, opts.Name, opts.Now(), opts.Validity)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("ca: signing CA certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// CertPEM returns a copy of the CA certificate in PEM, for the sandbox's
// trust store. It still works after Destroy: the certificate is public.
func (a *Authority) CertPEM() []byte { return slices.Clone(a.certPEM) }

// Certificate returns the CA certificate. The caller must not change it.
// It is nil for a CA from RestoreLazy whose certificate and key do not
// parse.
func (a *Authority) Certificate() *x509.Certificate {
	a.mu.Lock()
	defer a.mu.Unlock()
	_ = a.readyLocked()
	return a.cert
}

// Stats returns how many Leaf calls were served from the cache (hits) and
// how many were not (misses; concurrent misses for one host count once
// each but mint once). For process-wide metrics use Options.OnLeaf, which
// does not go backwards when a sandbox is deleted.
func (a *Authority) Stats() (hits, misses uint64) {
	return a.hits.Load(), a.misses.Load()
}

// Destroy drops the CA key, the leaf key and every cached leaf; later Leaf
// calls fail with ErrDestroyed, and so do handshakes on configs from
// ServerConfig. Go cannot wipe memory, so the keys are gone once the garbage
// collector takes them, as long as no handshake still holds a leaf. Destroy
// may be called more than once.
func (a *Authority) Destroy() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.destroyed.Store(true)
	if a.pending != nil {
		clear(a.pending.key)
		a.pending = nil
	}
	a.key, a.leafKey = nil, nil
	a.cache.Purge()
}
