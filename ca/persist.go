package ca

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"

	lru "github.com/hashicorp/golang-lru/v2"
)

// ExportKey hands the CA private key, PKCS#8 DER, to seal, which must
// encrypt it before it goes anywhere (package state seals it for the
// state store). The DER bytes are overwritten when seal returns, so seal
// must not keep them. It fails with ErrDestroyed after Destroy.
func (a *Authority) ExportKey(seal func(pkcs8 []byte) error) error {
	a.mu.Lock()
	err := a.readyLocked()
	key := a.key
	a.mu.Unlock()
	if err != nil {
		return err
	}
	if key == nil {
		return ErrDestroyed
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("ca: encoding key: %w", err)
	}
	defer clear(der)
	return seal(der)
}

// Restore rebuilds an Authority from its certificate (DER) and its private
// key (PKCS#8 DER, as ExportKey gave it): the same CA, whose CertPEM is
// byte for byte what it was. Options other than Name and Validity apply
// (the certificate fixes those). The caller should clear keyDER after.
func Restore(opts Options, certDER, keyDER []byte) (*Authority, error) {
	cert, key, err := parsePair(certDER, keyDER)
	if err != nil {
		return nil, err
	}
	a, err := restored(opts, certDER)
	if err != nil {
		return nil, err
	}
	a.cert, a.key = cert, key
	a.opts.Name = cert.Subject.CommonName
	return a, nil
}

// pendingPair is a restored certificate and key not parsed yet.
type pendingPair struct {
	cert, key []byte
}

// RestoreLazy is Restore that parses the certificate and the key on their
// first use (a leaf, Certificate, ExportKey) rather than now: parsing them
// is most of what restoring thousands of sandboxes at start costs, and most
// of them may not be used for a while. It keeps a copy of keyDER in memory
// until then (Destroy clears it); the caller clears its own. A pair that
// does not parse fails that first use, and every later one.
func RestoreLazy(opts Options, certDER, keyDER []byte) (*Authority, error) {
	if len(certDER) == 0 || len(keyDER) == 0 {
		return nil, errors.New("ca: restoring: no certificate or no key")
	}
	a, err := restored(opts, certDER)
	if err != nil {
		return nil, err
	}
	a.pending = &pendingPair{cert: slices.Clone(certDER), key: slices.Clone(keyDER)}
	return a, nil
}

// restored is an Authority with its options, ca.pem and leaf cache.
func restored(opts Options, certDER []byte) (*Authority, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cache, err := lru.New[string, *cachedLeaf](opts.LeafCacheSize)
	if err != nil {
		return nil, fmt.Errorf("ca: making leaf cache: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})
	return &Authority{opts: opts, certPEM: certPEM, cache: cache}, nil
}

// readyLocked parses a lazily restored pair; a.mu must be held.
func (a *Authority) readyLocked() error {
	if a.pending == nil {
		return a.failed
	}
	p := a.pending
	a.pending = nil
	defer clear(p.key)
	cert, key, err := parsePair(p.cert, p.key)
	if err != nil {
		a.failed = err
		return err
	}
	a.cert, a.key = cert, key
	return nil
}

// parsePair parses a CA certificate and its PKCS#8 key and checks that
// they belong together.
func parsePair(certDER, keyDER []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, nil, fmt.Errorf("ca: restoring: parsing certificate: %w", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, nil, errors.New("ca: restoring: the key is not a PKCS#8 private key")
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("ca: restoring: the key is not an ECDSA key")
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New("ca: restoring: the key does not belong to the certificate")
	}
	if !cert.IsCA {
		return nil, nil, errors.New("ca: restoring: the certificate is not a CA")
	}
	return cert, key, nil
}
