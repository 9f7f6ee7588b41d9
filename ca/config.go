package ca

import "crypto/tls"

// ServerConfig returns a TLS config for terminating a sandbox's connection
// to host, the CONNECT target (or original destination), whatever SNI the
// client sends: the sandbox gets a certificate for the host it will really
// reach. It allows TLS 1.2 and up and offers the ALPN protocols protos (for
// sandgate: h2 and http/1.1). If a is destroyed or host is invalid, the
// handshake fails.
func (a *Authority) ServerConfig(host string, protos ...string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: protos,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return a.Leaf(host)
		},
	}
}
