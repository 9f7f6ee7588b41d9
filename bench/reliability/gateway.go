package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/sandgate/sandgate/bench/internal/proc"
	"github.com/sandgate/sandgate/bench/internal/systems"
)

// secretPath and secretField are where the gateways' file backend holds the
// value inject_header sets (one value for every sandbox of the run).
const (
	secretPath  = "reliability/shared"
	secretField = "token"
)

// Lua handlers the phases bind besides the shipped inject_header.
var phaseScripts = map[string]string{
	"loop": "-- loop: never returns; the handler time limit must stop it.\n" +
		"return function(req, ctx) while true do end end\n",
	"bomb": "-- bomb: grows a table until something stops it.\n" +
		"return function(req, ctx)\n  local t = {}\n" +
		"  while true do t[#t+1] = string.rep(\"x\", 1000) .. #t end\nend\n",
}

// gateway is one phase's sandgate process.
type gateway struct {
	*systems.Sandgate
	e   *env
	cfg gwConfig
	dir string
}

// startGateway writes the phase's directory (config, secrets, scripts) and
// starts a fresh gateway in it.
func (e *env) startGateway(name string, cfg gwConfig) (*gateway, error) {
	dir := filepath.Join(e.work, name)
	if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
		return nil, err
	}
	if err := e.writeGatewayFiles(dir, cfg); err != nil {
		return nil, err
	}
	sg, err := systems.StartSandgateConfig(e.opts.Bin, dir, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("starting the gateway for %s: %w", name, err)
	}
	e.red.add(sg.Token)
	e.progress("gateway started, pid %d, proxy %s", sg.PID(), sg.Proxy)
	return &gateway{Sandgate: sg, e: e, cfg: cfg, dir: dir}, nil
}

func (e *env) writeGatewayFiles(dir string, cfg gwConfig) error {
	src, err := os.ReadFile(filepath.Join(e.opts.Repo, "scripts", "inject_header.lua"))
	if err != nil {
		return fmt.Errorf("the shipped handler: %w", err)
	}
	files := map[string][]byte{filepath.Join("scripts", "inject_header.lua"): src}
	for n, s := range phaseScripts {
		files[filepath.Join("scripts", n+".lua")] = []byte(s)
	}
	secrets, _ := json.Marshal(map[string]map[string]string{secretPath: {secretField: e.secret}})
	files["secrets.json"] = secrets
	files["sandgate.yaml"] = []byte(cfg.yaml(e.caFile))
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// rss is the gateway's resident memory now.
func (g *gateway) rss() uint64 { return proc.Mem(g.PID()).RSS }

// createSandbox creates a sandbox of class and binds inject_header to the
// upstream's host for it.
func (g *gateway) createSandbox(id, class string) (*sandbox, error) {
	var created struct {
		Token string `json:"token"`
		CAPEM string `json:"ca_pem"`
	}
	body := map[string]any{"id": id, "class": class}
	if err := g.API("POST", "/v1/sandboxes", body, http.StatusCreated, &created); err != nil {
		return nil, err
	}
	g.e.red.add(created.Token)
	sb, err := newSandbox(id, created.Token, g.Proxy, []byte(created.CAPEM))
	if err != nil {
		return nil, err
	}
	return sb, g.bind(sb, "inject_header", map[string]any{
		"header": systems.Header, "secret": secretPath, "field": secretField})
}

// bind makes handler the sandbox's handler for the upstream's host.
func (g *gateway) bind(sb *sandbox, handler string, params map[string]any) error {
	if params == nil {
		params = map[string]any{}
	}
	path := "/v1/sandboxes/" + sb.ID + "/outbound-by-host/" + url.PathEscape("127.0.0.1")
	return g.API("PUT", path, map[string]any{"handler": handler, "params": params}, http.StatusOK, nil)
}

// putScript stores src as script name through the admin API.
func (g *gateway) putScript(name string, src []byte) error {
	req, err := http.NewRequest("PUT", g.Admin+"/v1/scripts/"+url.PathEscape(name), bytes.NewReader(src))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	res, err := adminClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT /v1/scripts/%s: status %d: %s", name, res.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}

// metrics reads the admin listener's /metrics.
func (g *gateway) metrics() (metrics, error) {
	res, err := adminClient.Get(g.Admin + "/metrics")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: status %d", res.StatusCode)
	}
	return parseMetrics(io.LimitReader(res.Body, 8<<20))
}

// stop ends the gateway (SIGTERM, then SIGKILL) and reports how it ended
// if it had ended before.
func (g *gateway) stop() string {
	state := g.ExitState()
	g.Stop()
	return state
}

var adminClient = &http.Client{Timeout: 30 * time.Second}
