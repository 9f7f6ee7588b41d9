package systems

import (
	"path/filepath"
)

// opensslCA makes an ECDSA P-256 CA with openssl in dir: ca.key and ca.pem.
// mitmproxy and Squid sign their leaves with it, so every proxy under test
// serves ECDSA P-256 certificates, as sandgate does.
func opensslCA(dir, name string) (certFile, keyFile string, err error) {
	certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")
	_, err = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN="+name,
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
	return certFile, keyFile, err
}
