package ca

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"
)

// ExportKey hands the CA private key, PKCS#8 DER, to seal, which must
// encrypt it before it goes anywhere (package state seals it for the
// state store). The DER bytes are overwritten when seal returns, so seal
// must not keep them. It fails with ErrDestroyed after Destroy.
func (a *Authority) ExportKey(seal func(pkcs8 []byte) error) error {
	a.mu.Lock()
	key := a.key
	a.mu.Unlock()
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
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("ca: restoring: parsing certificate: %w", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, errors.New("ca: restoring: the key is not a PKCS#8 private key")
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("ca: restoring: the key is not an ECDSA key")
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, errors.New("ca: restoring: the key does not belong to the certificate")
	}
	if !cert.IsCA {
		return nil, errors.New("ca: restoring: the certificate is not a CA")
	}
	cache, err := lru.New[string, *cachedLeaf](opts.LeafCacheSize)
	if err != nil {
		return nil, fmt.Errorf("ca: making leaf cache: %w", err)
	}
	opts.Name = cert.Subject.CommonName
	return &Authority{
		opts:    opts,
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		key:     key,
		cache:   cache,
	}, nil
}
