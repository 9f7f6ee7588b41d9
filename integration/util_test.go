package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// curlResult is what one curl run printed.
type curlResult struct {
	Exit    int
	Status  int    // %{http_code}
	Connect int    // %{http_connect}: the proxy's answer to CONNECT
	Headers string // response headers (all of them, CONNECT's too)
	Body    string
	Stderr  string
}

// Header returns the last value of a response header, case-insensitively.
func (r curlResult) Header(name string) string {
	v := ""
	for _, line := range strings.Split(r.Headers, "\n") {
		k, val, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			v = strings.TrimSpace(val)
		}
	}
	return v
}

// curl runs the real curl with args plus flags that capture status,
// headers and body; bounded to 30 seconds.
func curl(t *testing.T, args ...string) curlResult {
	t.Helper()
	dir := t.TempDir()
	hdr, body := filepath.Join(dir, "h"), filepath.Join(dir, "b")
	full := append([]string{"-sS", "--max-time", "20", "-D", hdr, "-o", body,
		"-w", "%{http_code} %{http_connect}"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "curl", full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := curlResult{Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Exit = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running curl: %v", err)
	}
	if f := strings.Fields(stdout.String()); len(f) == 2 {
		res.Status, _ = strconv.Atoi(f[0])
		res.Connect, _ = strconv.Atoi(f[1])
	}
	h, _ := os.ReadFile(hdr)
	b, _ := os.ReadFile(body)
	res.Headers, res.Body = string(h), string(b)
	return res
}

// viaProxy is curl's flags to go through the gateway as sandbox sb.
func viaProxy(g *gateway, sb *sandbox) []string {
	return []string{"-x", "http://" + g.Proxy, "--proxy-user", sb.ID + ":" + sb.Token, "--cacert", sb.caFile}
}

// denyJSON is the body of a deny.
type denyJSON struct {
	Error   string `json:"error"`
	Reason  string `json:"reason"`
	Host    string `json:"host"`
	Sandbox string `json:"sandbox"`
}

func parseDeny(t *testing.T, body string) denyJSON {
	t.Helper()
	var d denyJSON
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("deny body is not JSON: %v: %q", err, body)
	}
	return d
}
