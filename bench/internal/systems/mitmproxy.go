package systems

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// mitmAddon sets the header on every request mitmproxy forwards.
const mitmAddon = `# sandgate bench: add X-Auth-Token from $BENCH_SECRET to every request.
import os

SECRET = os.environ["BENCH_SECRET"]


def request(flow):
    flow.request.headers["X-Auth-Token"] = SECRET
`

// StartMitmproxy runs mitmdump with proxy authentication, the addon, an
// ECDSA CA in its confdir and the upstream's CA as trusted upstream root.
func StartMitmproxy(dir, upstreamCA, secret string) (*System, error) {
	bin, err := need("mitmdump", "mitmproxy")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "conf")
	if err := os.MkdirAll(conf, 0o700); err != nil {
		return nil, err
	}
	certFile, keyFile, err := opensslCA(dir, "mitmproxy bench CA")
	if err != nil {
		return nil, err
	}
	if err := concat(filepath.Join(conf, "mitmproxy-ca.pem"), keyFile, certFile); err != nil {
		return nil, err
	}
	addon := filepath.Join(dir, "addon.py")
	if err := os.WriteFile(addon, []byte(mitmAddon), 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pass := randHex(8)
	cmd := exec.Command(bin, "--listen-host", "127.0.0.1", "--listen-port", strconv.Itoa(port),
		"--set", "confdir="+conf, "--proxyauth", "bench:"+pass, "-s", addon,
		"--set", "ssl_verify_upstream_trusted_ca="+upstreamCA)
	cmd.Env = append(os.Environ(), "BENCH_SECRET="+secret, "HOME="+dir)
	p, err := start("mitmproxy", dir, cmd, nil)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if err := waitPort(p, addr, 30*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	version, _ := run(bin, "--version")
	version, _, _ = strings.Cut(version, "\n")
	return &System{Key: "mitmproxy", Name: "mitmproxy (mitmdump + addon)", Version: version, CAFile: certFile,
		PID: p.pid(), proc: p, Proxy: &url.URL{Scheme: "http", User: url.UserPassword("bench", pass), Host: addr},
		Notes: []string{"mitmdump with --proxyauth, a 3-line addon setting the header, an ECDSA P-256 CA (openssl) in its confdir, " +
			"ssl_verify_upstream_trusted_ca; default flow log to a file"}}, nil
}

// concat writes the files' contents, in order, to out (mode 0600).
func concat(out string, files ...string) error {
	var b []byte
	for _, f := range files {
		c, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		b = append(b, c...)
	}
	return os.WriteFile(out, b, 0o600)
}
