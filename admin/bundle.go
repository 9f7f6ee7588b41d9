package admin

import (
	"bytes"
	"net/http"
	"os"
	"path"
	"sync"
)

// systemRootFiles are where Linux distributions keep their PEM bundle of
// trusted roots (the list crypto/x509 reads too).
var systemRootFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Alpine
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine
}

var (
	rootsOnce sync.Once
	rootsPEM  []byte
)

// systemRoots is the gateway host's PEM bundle of trusted roots (empty when
// none is found).
func systemRoots() []byte {
	rootsOnce.Do(func() {
		for _, f := range systemRootFiles {
			if b, err := os.ReadFile(f); err == nil && len(b) > 0 {
				rootsPEM = b
				return
			}
		}
	})
	return rootsPEM
}

// bundlePath is where a sandbox stores its CA bundle: beside ca.pem.
func bundlePath(caPath string) string { return path.Join(path.Dir(caPath), "ca-bundle.pem") }

// caBundle is GET /v1/sandboxes/{id}/ca-bundle.pem: the system roots plus
// the sandbox's CA, for clients (npm, pip) that take one file of roots and
// must still verify the hosts a class passes through uninspected.
func (a *API) caBundle(w http.ResponseWriter, r *http.Request) {
	sb, ok := a.sandbox(w, r)
	if !ok {
		return
	}
	var b bytes.Buffer
	b.Write(systemRoots())
	if b.Len() > 0 && b.Bytes()[b.Len()-1] != '\n' {
		b.WriteByte('\n')
	}
	b.WriteString("# sandgate sandbox " + sb.ID + "\n")
	b.Write(sb.CA.CertPEM())
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(b.Bytes())
}
