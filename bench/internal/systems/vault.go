package systems

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Vault is a running Vault dev server (in memory, KV v2 at secret/).
type Vault struct {
	Addr    string // http://127.0.0.1:<port>
	Token   string // root token
	Version string
	proc    *process
}

// VaultBin is $SANDGATE_VAULT_BIN or the cache `make vault` fills.
func VaultBin() string {
	if p := os.Getenv("SANDGATE_VAULT_BIN"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "sandgate", "vault-1.21.0", "vault")
}

// StartVault runs `vault server -dev` on a free port with its own HOME.
func StartVault(bin, dir string) (*Vault, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("vault binary not found at %s: run `make vault` to build it", bin)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	v := &Vault{Addr: "http://127.0.0.1:" + strconv.Itoa(port), Token: "root-" + randHex(12)}
	cmd := exec.Command(bin, "server", "-dev", "-dev-root-token-id="+v.Token,
		"-dev-listen-address=127.0.0.1:"+strconv.Itoa(port), "-dev-no-store-token", "-log-level=warn")
	cmd.Env = vaultEnv(dir)
	if v.proc, err = start("vault", dir, cmd, nil); err != nil {
		return nil, err
	}
	if err := v.waitHealthy(60 * time.Second); err != nil {
		v.Stop()
		return nil, err
	}
	out, _ := run(bin, "version")
	v.Version = out
	return v, nil
}

// vaultEnv is the environment without VAULT_* and with HOME=dir, so the
// server writes no token helper file of the user's.
func vaultEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VAULT_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+dir)
}

func (v *Vault) waitHealthy(timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if v.proc.exited() {
			return fmt.Errorf("vault exited at start:\n%s", v.proc.tail())
		}
		if res, err := c.Get(v.Addr + "/v1/sys/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("vault not healthy after %s:\n%s", timeout, v.proc.tail())
}

// Put writes a KV v2 secret at secret/<path>.
func (v *Vault) Put(path string, data map[string]string) error {
	js, _ := json.Marshal(map[string]any{"data": data})
	req, _ := http.NewRequest("POST", v.Addr+"/v1/secret/data/"+path, bytes.NewReader(js))
	req.Header.Set("X-Vault-Token", v.Token)
	res, err := adminClient.Do(req)
	if err != nil {
		return fmt.Errorf("vault: writing secret/%s: %w", path, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("vault: writing secret/%s: status %d", path, res.StatusCode)
	}
	return nil
}

// PID is the server's process id.
func (v *Vault) PID() int { return v.proc.pid() }

// Stop stops the server.
func (v *Vault) Stop() { v.proc.stop() }
