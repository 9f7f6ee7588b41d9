package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stateSetup is a gateway with the bolt backend in a folder that outlives
// its process, and the TLS upstream its sandboxes reach.
type stateSetup struct {
	gc    gatewayConfig
	g     *gateway
	e     *echo
	tlsUp string
}

func newStateSetup(t *testing.T, extra string) *stateSetup {
	t.Helper()
	ca := newUpstreamCA(t)
	e := &echo{}
	up := ca.startTLS(t, e)
	gc := gatewayConfig{Classes: basicClasses, CAFiles: []string{ca.PEMFile}, Dir: t.TempDir(), Extra: extra}
	return &stateSetup{gc: gc, g: startGateway(t, gc), e: e, tlsUp: up.URL}
}

// restart kills the gateway with SIGKILL and starts it again on the same
// folder.
func (s *stateSetup) restart(t *testing.T) {
	t.Helper()
	s.g.Kill()
	s.g = startGateway(t, s.gc)
}

// get fetches path from the upstream through the gateway as sb (curl, the
// sandbox's CA file as the only trust).
func (s *stateSetup) get(t *testing.T, sb *sandbox, path string) curlResult {
	t.Helper()
	return curl(t, append(viaProxy(s.g, sb), s.tlsUp+path)...)
}

func TestStateSurvivesKill9(t *testing.T) {
	s := newStateSetup(t, "")
	plain := s.g.createSandbox(map[string]any{"id": "plain", "labels": map[string]string{"team": "a"}})
	ruled := s.g.createSandbox(map[string]any{"id": "ruled"})
	gone := s.g.createSandbox(map[string]any{"id": "gone"})
	host := strings.TrimPrefix(s.tlsUp, "https://")
	s.g.mustAPI(200, "PUT", "/v1/sandboxes/ruled/outbound-by-host/"+host, map[string]any{"handler": "deny_all"})
	s.g.mustAPI(200, "PUT", "/v1/sandboxes/ruled/rate-limit", map[string]any{"requests": 1000, "per": "1s", "burst": 1000})
	before := s.g.mustAPI(200, "GET", "/v1/sandboxes/ruled", nil)
	s.g.mustAPI(204, "DELETE", "/v1/sandboxes/gone", nil)
	s.restart(t) // kill -9 right after the last answer

	for _, sb := range []*sandbox{plain, ruled} {
		pem := s.g.mustAPI(200, "GET", "/v1/sandboxes/"+sb.ID+"/ca.pem", nil)
		if !bytes.Equal(pem, []byte(sb.CAPEM)) {
			t.Errorf("%s: ca.pem differs after the restart", sb.ID)
		}
	}
	if r := s.get(t, plain, "/after"); r.Status != 200 {
		t.Fatalf("old token and CA after the restart: got exit %d status %d (%s), want 200", r.Exit, r.Status, r.Stderr)
	}
	r := s.get(t, ruled, "/ruled")
	if r.Status != 403 || parseDeny(t, r.Body).Reason != "handler" {
		t.Errorf("runtime binding after the restart: got %d %s, want 403 from deny_all", r.Status, r.Body)
	}
	if after := s.g.mustAPI(200, "GET", "/v1/sandboxes/ruled", nil); !sameSandboxJSON(before, after) {
		t.Errorf("effective policy changed across the restart:\nbefore %s\nafter  %s", before, after)
	}
	if r := s.get(t, gone, "/gone"); r.Connect != 407 && r.Status != 407 {
		t.Errorf("deleted sandbox after the restart: got connect %d status %d, want 407", r.Connect, r.Status)
	}
	if code, _ := s.g.api("GET", "/v1/sandboxes/gone", nil); code != 404 {
		t.Errorf("deleted sandbox after the restart: GET got %d, want 404", code)
	}
}

// sameSandboxJSON compares two GET /v1/sandboxes/{id} answers.
func sameSandboxJSON(a, b []byte) bool {
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func TestStateMemoryForgets(t *testing.T) {
	s := newStateSetup(t, "state: { backend: memory }")
	s.g.createSandbox(map[string]any{"id": "a"})
	s.restart(t)
	if code, _ := s.g.api("GET", "/v1/sandboxes/a", nil); code != 404 {
		t.Errorf("memory backend after a restart: got %d, want 404", code)
	}
	if _, err := os.Stat(filepath.Join(s.gc.Dir, "state")); !os.IsNotExist(err) {
		t.Errorf("memory backend wrote a state folder (%v)", err)
	}
}

// serveToExit runs `sandgate serve` expecting it to fail at start; it returns
// its exit code and output.
func serveToExit(t *testing.T, cfgPath string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "-config", cfgPath)
	cmd.Env = append(os.Environ(), "SANDGATE_ADMIN_TOKEN=x")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if ctx.Err() != nil {
		t.Fatalf("serve did not exit: %s", out)
	}
	return 0, string(out)
}

func TestStateWrongSealKeyRefused(t *testing.T) {
	s := newStateSetup(t, "")
	s.g.createSandbox(map[string]any{"id": "a"})
	s.g.Stop()
	db := filepath.Join(s.gc.Dir, "state", "sandgate.db")
	key := filepath.Join(s.gc.Dir, "state", "seal.key")
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	_, cfgPath := writeGatewayConfig(t, s.gc)
	code, out := serveToExit(t, cfgPath)
	if code == 0 {
		t.Fatalf("serve with the wrong seal key exited 0: %s", out)
	}
	for _, want := range []string{db, key} {
		if !strings.Contains(out, want) {
			t.Errorf("the error does not name %s:\n%s", want, out)
		}
	}
	after, _ := os.ReadFile(db)
	if !bytes.Equal(before, after) {
		t.Error("the state file changed")
	}
	// A missing key file is not replaced by a new key that could not open
	// the sandboxes.
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	code, out = serveToExit(t, cfgPath)
	if code == 0 || !strings.Contains(out, "does not exist") || !strings.Contains(out, db) {
		t.Errorf("serve without its key file: got exit %d, want a refusal naming the key and the state:\n%s", code, out)
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Error("serve made a new seal key for a state sealed by another")
	}
}

// Clear forms of a P-256 private key, as they would start: SEC1 DER,
// PKCS#8 DER, both in base64, and PEM.
var clearKeyForms = map[string][]byte{
	"SEC1 DER":      mustHex("30770201010420"),
	"PKCS#8 DER":    mustHex("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420"),
	"SEC1 base64":   []byte("MHcCAQEEI"),
	"PKCS#8 base64": []byte("MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg"),
	"PEM":           []byte("PRIVATE KEY"),
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestStateNoClearKeyAtRest(t *testing.T) {
	s := newStateSetup(t, "")
	for i := range 20 {
		s.g.createSandbox(map[string]any{"id": fmt.Sprintf("k%02d", i)})
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
	// The records are there, with their certificates (public) in them.
	if n := bytes.Count(file, []byte(`"ca_key_sealed":"`+base64.StdEncoding.EncodeToString([]byte("SG\x01A"))[:4])); n < 20 {
		t.Errorf("found %d sealed keys, want 20", n)
	}
}

func TestStateReseal(t *testing.T) {
	s := newStateSetup(t, "")
	sb := s.g.createSandbox(map[string]any{"id": "a"})
	s.g.Stop()
	_, cfgPath := writeGatewayConfig(t, s.gc)
	newKey := filepath.Join(s.gc.Dir, "new.key")
	out, err := runBinary(t, "state", "reseal", "-config", cfgPath, "-new-key", newKey)
	if err != nil {
		t.Fatalf("reseal: %v: %s", err, out)
	}
	if !strings.Contains(out, "resealed 1 sandbox keys") {
		t.Errorf("reseal said %q", out)
	}
	if fi, err := os.Stat(newKey); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v %v, want mode 0600", fi, err)
	}
	// The old key no longer opens the state.
	if code, out := serveToExit(t, cfgPath); code == 0 {
		t.Fatalf("serve with the old key after reseal exited 0: %s", out)
	}
	s.gc.Extra = "state: { seal: { key_file: ./new.key } }"
	s.g = startGateway(t, s.gc)
	if r := s.get(t, sb, "/resealed"); r.Status != 200 {
		t.Fatalf("after reseal: got exit %d status %d (%s), want 200", r.Exit, r.Status, r.Stderr)
	}
}

// TestStateCrashDuringCreations kills the gateway while 200 creations run:
// every sandbox that got its 201 must be back and work, and every sandbox
// that is back must be whole (a CA that opens, a working ca.pem).
func TestStateCrashDuringCreations(t *testing.T) {
	s := newStateSetup(t, "")
	const n = 200
	var (
		mu      sync.Mutex
		created []*sandbox
		wg      sync.WaitGroup
	)
	killAt := make(chan struct{})
	var once sync.Once
	client := &http.Client{Timeout: 20 * time.Second}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"id":"c%03d"}`, i)
			req, _ := http.NewRequest("POST", s.g.Admin+"/v1/sandboxes", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+s.g.Token)
			res, err := client.Do(req)
			if err != nil {
				return // the gateway died under this request
			}
			defer res.Body.Close()
			var sb sandbox
			if res.StatusCode != 201 || json.NewDecoder(res.Body).Decode(&sb) != nil {
				return
			}
			mu.Lock()
			created = append(created, &sb)
			if len(created) == n/3 {
				once.Do(func() { close(killAt) })
			}
			mu.Unlock()
		}()
	}
	select {
	case <-killAt:
	case <-time.After(60 * time.Second):
		t.Fatal("a third of the creations did not finish in 60s")
	}
	s.g.Kill()
	wg.Wait()
	mu.Lock()
	answered := append([]*sandbox(nil), created...)
	mu.Unlock()
	t.Logf("%d of %d creations answered 201 before kill -9", len(answered), n)
	s.g = startGateway(t, s.gc)

	var list struct {
		Sandboxes []struct{ ID string } `json:"sandboxes"`
	}
	if err := json.Unmarshal(s.g.mustAPI(200, "GET", "/v1/sandboxes", nil), &list); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d sandboxes back after the restart", len(list.Sandboxes))
	for _, l := range list.Sandboxes { // none half made
		if pem := s.g.mustAPI(200, "GET", "/v1/sandboxes/"+l.ID+"/ca.pem", nil); !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
			t.Errorf("%s came back without its CA", l.ID)
		}
	}
	for _, sb := range answered {
		pem := s.g.mustAPI(200, "GET", "/v1/sandboxes/"+sb.ID+"/ca.pem", nil)
		if string(pem) != sb.CAPEM {
			t.Fatalf("%s: ca.pem differs after the crash", sb.ID)
		}
		sb.caFile = filepath.Join(s.gc.Dir, "ca-"+sb.ID+".pem")
		c := proxyClient(t, s.g, sb)
		res, err := c.Get(s.tlsUp + "/" + sb.ID)
		if err != nil {
			t.Fatalf("%s after the crash: %v", sb.ID, err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s after the crash: got %d, want 200", sb.ID, res.StatusCode)
		}
	}
}
