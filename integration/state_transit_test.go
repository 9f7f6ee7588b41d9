package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/sandgate/sandgate/secrets/vault/vaulttest"
)

// TestStateTransitSeal seals the CA keys with Vault's transit engine (a
// real dev server): the state survives kill -9, the bolt file holds
// Vault's cipher texts, and no seal key file is made.
func TestStateTransitSeal(t *testing.T) {
	v := vaulttest.Start(t)
	if err := v.Client.Sys().Mount("transit", &api.MountInput{Type: "transit"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Client.Logical().Write("transit/keys/sandgate-state", nil); err != nil {
		t.Fatal(err)
	}
	v.Policy("sandgate-seal", `path "transit/encrypt/sandgate-state" { capabilities = ["update"] }
path "transit/decrypt/sandgate-state" { capabilities = ["update"] }`)
	token := v.NewToken("sandgate-seal")
	extra := fmt.Sprintf(`secrets:
  backend: file
  file: { path: ./secrets.json }
  vault: { address: %q, token: %q }
state:
  seal:
    vault_transit: { mount: transit, key: sandgate-state }`, v.Addr, token)
	s := newStateSetup(t, extra)
	s.gc.Env = []string{"VAULT_TOKEN=", "VAULT_ADDR="}
	sb := s.g.createSandbox(map[string]any{"id": "transit"})
	s.restart(t)
	if pem := s.g.mustAPI(200, "GET", "/v1/sandboxes/transit/ca.pem", nil); string(pem) != sb.CAPEM {
		t.Fatal("ca.pem differs after a restart")
	}
	if r := s.get(t, sb, "/transit"); r.Status != 200 {
		t.Fatalf("after a restart: got exit %d status %d (%s), want 200", r.Exit, r.Status, r.Stderr)
	}
	s.g.Stop()
	file, err := os.ReadFile(filepath.Join(s.gc.Dir, "state", "sandgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	for name, form := range clearKeyForms {
		if bytes.Contains(file, form) {
			t.Errorf("the bolt file holds a %s private key", name)
		}
	}
	if _, err := os.Stat(filepath.Join(s.gc.Dir, "state", "seal.key")); !os.IsNotExist(err) {
		t.Errorf("a seal key file was made with vault_transit (%v)", err)
	}
	// The key file seal cannot open what transit sealed: serve refuses,
	// naming both.
	s.gc.Extra = strings.Replace(extra, "vault_transit: { mount: transit, key: sandgate-state }", "key_file: ./other.key", 1)
	_, cfgPath := writeGatewayConfig(t, s.gc)
	if err := os.WriteFile(filepath.Join(s.gc.Dir, "other.key"), bytes.Repeat([]byte{1}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := serveToExit(t, cfgPath)
	if code == 0 || !strings.Contains(out, "transit/sandgate-state") || !strings.Contains(out, "other.key") {
		t.Errorf("serve with another seal: got exit %d, want a refusal naming both seals:\n%s", code, out)
	}
	// Reseal from transit to a key file, and start on it.
	s.gc.Extra = extra
	_, cfgPath = writeGatewayConfig(t, s.gc)
	newKey := filepath.Join(s.gc.Dir, "state", "new.key")
	if out, err := runBinary(t, "state", "reseal", "-config", cfgPath, "-new-key", newKey); err != nil {
		t.Fatalf("reseal: %v: %s", err, out)
	}
	s.gc.Extra = strings.Replace(extra, "vault_transit: { mount: transit, key: sandgate-state }", "key_file: ./state/new.key", 1)
	s.g = startGateway(t, s.gc)
	if r := s.get(t, sb, "/resealed"); r.Status != 200 {
		t.Fatalf("after resealing from transit: got %d (%s), want 200", r.Status, r.Stderr)
	}
}
