package systems

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// SandgateOptions configures one sandgate process.
type SandgateOptions struct {
	Bin         string // the sandgate binary
	Dir         string // its own directory (config, scripts, logs)
	ScriptsFrom string // the repository's scripts/ (inject_header.lua is copied from it)
	UpstreamCA  string // PEM file of the upstream's CA
	Secret      string // the value to inject
	Vault       *Vault // nil: the file backend
	SandboxID   string // default "bench"
	Host        string // the target's host: allowed and bound to inject_header (default 127.0.0.1)
	// Secrets are more secrets beside sandboxes/<SandboxID>: path to fields.
	Secrets      map[string]map[string]string
	StartTimeout time.Duration
}

// Binding is a handler and its params, bound to the target's host for one
// sandbox.
type Binding struct {
	Handler string
	Params  map[string]any
}

// InjectHeader is the shipped inject_header handler setting Header from
// the sandbox's secret sandboxes/<id>, field token.
var InjectHeader = Binding{Handler: "inject_header", Params: map[string]any{
	"header": Header, "secret": "sandboxes/{sandbox_id}", "field": "token"}}

// ReadSecrets is the bench's read_secrets handler: it reads fields of the
// sandbox's secret and sets Header to the first.
func ReadSecrets(fields ...string) Binding {
	return Binding{Handler: "read_secrets", Params: map[string]any{"header": Header, "fields": strings.Join(fields, ",")}}
}

// SetHeader is the bench's set_header handler: Header set to value, no
// secret read.
func SetHeader(value string) Binding {
	return Binding{Handler: "set_header", Params: map[string]any{"header": Header, "value": value}}
}

// benchScripts are the handlers the bench installs besides the shipped
// inject_header.
//
//go:embed lua/*.lua
var benchScripts embed.FS

// Sandgate is a running gateway.
type Sandgate struct {
	Proxy string // host:port
	Admin string // http://host:port
	Token string // admin token
	proc  *process
	opts  SandgateOptions
}

var listenLine = regexp.MustCompile(`proxy on (\S+), admin API on (\S+),`)

// StartSandgate writes a config into o.Dir and starts the gateway on free
// ports. Its secrets hold the value at sandboxes/<id>, field token.
func StartSandgate(o SandgateOptions) (*Sandgate, error) {
	if o.SandboxID == "" {
		o.SandboxID = "bench"
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 30 * time.Second
	}
	if err := writeSandgateFiles(o); err != nil {
		return nil, err
	}
	token := "bench-admin-" + randHex(12)
	cmd := exec.Command(o.Bin, "serve", "-config", filepath.Join(o.Dir, "sandgate.yaml"))
	cmd.Env = append(os.Environ(), "SANDGATE_ADMIN_TOKEN="+token)
	lines := make(chan string, 16)
	p, err := start("sandgate", o.Dir, cmd, lines)
	if err != nil {
		return nil, err
	}
	g := &Sandgate{Token: token, proc: p, opts: o}
	deadline := time.After(o.StartTimeout)
	for g.Proxy == "" {
		select {
		case line := <-lines:
			if m := listenLine.FindStringSubmatch(line); m != nil {
				g.Proxy, g.Admin = m[1], "http://"+m[2]
			}
		case <-p.done:
			return nil, fmt.Errorf("sandgate exited at start:\n%s", p.tail())
		case <-deadline:
			p.stop()
			return nil, fmt.Errorf("sandgate did not start in %s:\n%s", o.StartTimeout, p.tail())
		}
	}
	return g, nil
}

func writeSandgateFiles(o SandgateOptions) error {
	scripts := filepath.Join(o.Dir, "scripts")
	if err := os.MkdirAll(scripts, 0o755); err != nil {
		return err
	}
	src, err := os.ReadFile(filepath.Join(o.ScriptsFrom, "inject_header.lua"))
	if err != nil {
		return fmt.Errorf("the shipped handler: %w", err)
	}
	if err := os.WriteFile(filepath.Join(scripts, "inject_header.lua"), src, 0o644); err != nil {
		return err
	}
	if err := copyBenchScripts(scripts); err != nil {
		return err
	}
	secrets := map[string]map[string]string{"sandboxes/" + o.SandboxID: {"token": o.Secret}}
	maps.Copy(secrets, o.Secrets)
	js, _ := json.Marshal(secrets)
	if err := os.WriteFile(filepath.Join(o.Dir, "secrets.json"), js, 0o600); err != nil {
		return err
	}
	if o.Vault != nil {
		for p, fields := range secrets {
			if err := o.Vault.Put("sandgate/"+p, fields); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(o.Dir, "sandgate.yaml"), []byte(sandgateConfig(o)), 0o644)
}

// sandgateConfig is the gateway's config: the defaults but for free ports,
// the audit log in a file, the upstream's CA and loopback allowed.
func sandgateConfig(o SandgateOptions) string {
	secrets := "secrets:\n  backend: file\n  file: { path: ./secrets.json }\n"
	if o.Vault != nil {
		secrets = fmt.Sprintf("secrets:\n  backend: vault\n  vault: { address: %q, token: %q, mount: secret, prefix: sandgate, cache_ttl: 1s }\n",
			o.Vault.Addr, o.Vault.Token)
	}
	return fmt.Sprintf(`version: 1
proxy:
  listen: 127.0.0.1:0
  shutdown_timeout: 5s
admin:
  listen: 127.0.0.1:0
scripts_dir: ./scripts
%supstream:
  ca_files: [%q]
egress:
  allow_cidrs: ["127.0.0.0/8", "::1/128"]
log:
  audit_file: ./audit.log
classes:
  bench:
    allowed_hosts: [%q]
`, secrets, o.UpstreamCA, o.Host)
}

func copyBenchScripts(dir string) error {
	files, err := fs.Glob(benchScripts, "lua/*.lua")
	if err != nil {
		return err
	}
	for _, f := range files {
		src, err := benchScripts.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, path.Base(f)), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// System creates the benchmark's sandbox, binds inject_header to the
// target's host for it through the admin API and returns the system to load.
func (g *Sandgate) System(key, name string) (*System, error) {
	return g.Sandbox(key, name, g.opts.SandboxID, InjectHeader)
}

// Sandbox creates sandbox id (class bench), binds b to the target's host
// for it and returns it as a system to load under key and name: the same
// gateway, as that sandbox (its credentials, its CA).
func (g *Sandgate) Sandbox(key, name, id string, b Binding) (*System, error) {
	var created struct {
		Token string `json:"token"`
		CAPEM string `json:"ca_pem"`
	}
	if err := g.API("POST", "/v1/sandboxes", map[string]any{"id": id, "class": "bench"}, http.StatusCreated, &created); err != nil {
		return nil, err
	}
	binding := map[string]any{"handler": b.Handler, "params": b.Params}
	if err := g.API("PUT", "/v1/sandboxes/"+id+"/outbound-by-host/"+url.PathEscape(g.opts.Host), binding, http.StatusOK, nil); err != nil {
		return nil, err
	}
	caFile := filepath.Join(g.opts.Dir, "sandbox-ca.pem")
	if id != g.opts.SandboxID {
		caFile = filepath.Join(g.opts.Dir, "sandbox-ca-"+id+".pem")
	}
	if err := os.WriteFile(caFile, []byte(created.CAPEM), 0o644); err != nil {
		return nil, err
	}
	version, _ := run(g.opts.Bin, "version")
	backend := "file backend"
	if g.opts.Vault != nil {
		backend = "Vault KV v2 backend (dev server on 127.0.0.1, cache_ttl 1s)"
	}
	return &System{Key: key, Name: name, Version: version, CAFile: caFile, PID: g.PID(), proc: g.proc,
		Admin: g.Admin, AdminToken: g.Token,
		Proxy: &url.URL{Scheme: "http", User: url.UserPassword(id, created.Token), Host: g.Proxy},
		Notes: []string{handlerNote(b) + " bound to the target host through the admin API; secrets.get from the " + backend +
			"; audit log to a file; sandbox CA and leaves ECDSA P-256"}}, nil
}

func handlerNote(b Binding) string {
	if b.Handler == InjectHeader.Handler {
		return "shipped scripts/inject_header.lua"
	}
	return "the bench's " + b.Handler + " handler (bench/internal/systems/lua)"
}

// PID is the gateway's process id.
func (g *Sandgate) PID() int { return g.proc.pid() }

// Stop stops the gateway.
func (g *Sandgate) Stop() { g.proc.stop() }

// API calls the admin API and fails unless the status is want; out, if not
// nil, receives the JSON answer.
func (g *Sandgate) API(method, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, g.Admin+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	res, err := adminClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

var adminClient = &http.Client{Timeout: 30 * time.Second}
