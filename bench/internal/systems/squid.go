package systems

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// squidLib is where Debian installs Squid's helpers.
const squidLib = "/usr/lib/squid"

// squidConfig is the whole squid.conf: bump every CONNECT, verify the
// upstream against its CA, add the header, require basic proxy auth, cache
// nothing, log to the run's directory.
const squidConfig = `# sandgate bench: Squid with ssl-bump and request_header_add
http_port 127.0.0.1:{{port}} ssl-bump tls-cert={{dir}}/ca.pem tls-key={{dir}}/ca.key generate-host-certificates=on dynamic_cert_mem_cache_size=16MB
sslcrtd_program {{lib}}/security_file_certgen -s {{dir}}/ssl_db -M 16MB
sslcrtd_children 5 startup=1 idle=1
{{bump}}
tls_outgoing_options cafile={{dir}}/upstream-ca.pem
auth_param basic program {{lib}}/basic_ncsa_auth {{dir}}/passwd
auth_param basic children 5 startup=1 idle=1
auth_param basic credentialsttl 2 hours
acl authed proxy_auth REQUIRED
http_access allow authed
http_access deny all
request_header_add X-Auth-Token "{{secret}}" all
cache deny all
cache_mem 8 MB
access_log stdio:{{dir}}/access.log
cache_log {{dir}}/cache.log
pid_filename {{dir}}/squid.pid
coredump_dir {{dir}}
visible_hostname sandgate-bench
pinger_enable off
shutdown_lifetime 1 seconds
cache_effective_user proxy
dns_nameservers 127.0.0.1
`

// SquidMode is how Squid bumps a CONNECT.
type SquidMode struct {
	Key, Name, Rules, Note string
}

// Squid's two ways of bumping.
var (
	// SquidStare peeks at the client's hello, stares at the server's, then
	// bumps: Squid connects to and verifies the upstream before it answers
	// the client, and mimics the upstream's certificate. The server
	// connection is pinned to the client connection.
	SquidStare = SquidMode{Key: "squid-stare", Name: "Squid (peek, stare, bump)",
		Rules: "acl step1 at_step SslBump1\nacl step2 at_step SslBump2\nssl_bump peek step1\nssl_bump stare step2\nssl_bump bump all",
		Note:  "ssl_bump peek step1, stare step2, bump (mimics the upstream certificate; server connection pinned to the client's)"}
	// SquidBump bumps at once ("client-first"): the client gets a
	// certificate for the CONNECT host before Squid contacts the upstream.
	// Squid then puts no IP address in the certificate, so it only works
	// for a host name.
	SquidBump = SquidMode{Key: "squid-bump", Name: "Squid (bump at step 1)",
		Rules: "ssl_bump bump all",
		Note:  "ssl_bump bump all (client-first: a certificate for the CONNECT host name, before contacting the upstream)"}
)

// StartSquid runs Squid as root in the foreground (-N: one process plus its
// helpers) with its own config, pid file, logs and certificate database in
// dir, which is made the proxy user's (Squid works as that user, so every
// folder above dir must let it pass).
func StartSquid(dir, upstreamCA, secret string, mode SquidMode) (*System, error) {
	bin, err := need("squid", "squid-openssl")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	certFile, _, err := opensslCA(dir, "squid bench CA")
	if err != nil {
		return nil, err
	}
	if err := squidFiles(dir, upstreamCA); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := strings.NewReplacer("{{port}}", strconv.Itoa(port), "{{dir}}", dir, "{{lib}}", squidLib,
		"{{secret}}", secret, "{{bump}}", strings.ReplaceAll(mode.Rules, `\n`, "\n")).Replace(squidConfig)
	confFile := filepath.Join(dir, "squid.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	if _, err := run("chown", "-R", "proxy:proxy", dir); err != nil {
		return nil, err
	}
	p, err := start("squid", dir, exec.Command(bin, "-N", "-f", confFile), nil)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if err := waitPort(p, addr, 30*time.Second); err != nil {
		p.stop()
		cacheLog, _ := os.ReadFile(filepath.Join(dir, "cache.log"))
		return nil, fmt.Errorf("%w\ncache.log:\n%s", err, cacheLog)
	}
	version, _ := run(bin, "-v")
	version, _, _ = strings.Cut(version, "\n")
	return &System{Key: mode.Key, Name: mode.Name, Version: version, CAFile: certFile, PID: p.pid(), proc: p,
		Proxy: &url.URL{Scheme: "http", User: url.UserPassword("bench", squidPass), Host: addr},
		Notes: []string{"squid -N as root (workers 1), " + mode.Note + ", request_header_add, basic_ncsa_auth, " +
			"an ECDSA P-256 CA (openssl), security_file_certgen, cache deny all, access log to a file, DNS only to 127.0.0.1"}}, nil
}

// squidPass is the proxy password of user bench.
var squidPass = randHex(8)

// squidFiles writes the password file, the upstream's CA and the
// certificate database.
func squidFiles(dir, upstreamCA string) error {
	hash, err := run("openssl", "passwd", "-apr1", squidPass)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte("bench:"+hash+"\n"), 0o644); err != nil {
		return err
	}
	if err := concat(filepath.Join(dir, "upstream-ca.pem"), upstreamCA); err != nil {
		return err
	}
	_, err = run(filepath.Join(squidLib, "security_file_certgen"), "-c", "-s", filepath.Join(dir, "ssl_db"), "-M", "16MB")
	return err
}
