package integration

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"strings"
	"testing"
)

// A policy change applies to the next request on a tunnel that is already
// open: the same TLS connection is reused and its next request is denied.
func TestPolicyChangeAppliesInsideOpenTunnel(t *testing.T) {
	g, sb, _, tlsUp, _ := coreSetup(t)
	c := proxyClient(t, g, sb)
	var conns []string
	get := func() int {
		t.Helper()
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
			conns = append(conns, fmt.Sprintf("%p", i.Conn))
		}}
		req, _ := http.NewRequest("GET", tlsUp.URL+"/live", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if code := get(); code != 200 {
		t.Fatalf("before: got %d, want 200", code)
	}
	g.mustAPI(200, "PUT", "/v1/sandboxes/"+sb.ID+"/denied-hosts", []string{"127.0.0.1"})
	if code := get(); code != 403 {
		t.Fatalf("after denying: got %d, want 403", code)
	}
	g.mustAPI(200, "PUT", "/v1/sandboxes/"+sb.ID+"/denied-hosts", "null")
	if code := get(); code != 200 {
		t.Fatalf("after clearing: got %d, want 200", code)
	}
	if len(conns) != 3 || conns[0] != conns[1] || conns[1] != conns[2] {
		t.Fatalf("the requests did not share one tunnel: %v", conns)
	}
}

// A 100 MB response through a handler's fetch streams: the gateway's peak
// memory stays far below the body's size.
func TestLargeDownloadThroughHandlerStreams(t *testing.T) {
	const size = 100 << 20
	ca := newUpstreamCA(t)
	up := ca.startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		chunk := []byte(strings.Repeat("x", 64<<10))
		for n := 0; n < size; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	g := startGateway(t, gatewayConfig{Classes: basicClasses, CAFiles: []string{ca.PEMFile},
		Secrets: map[string]map[string]string{"sandboxes/dl": {"token": "download-token-1"}}})
	sb := g.createSandbox(map[string]any{"id": "dl"})
	g.mustAPI(200, "PUT", "/v1/sandboxes/dl/outbound", map[string]any{"handler": "inject_header",
		"params": map[string]any{"header": "X-Token", "secret": "sandboxes/{sandbox_id}", "field": "token"}})
	c := proxyClient(t, g, sb)
	res, err := c.Get(up.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || n != size || res.StatusCode != 200 {
		t.Fatalf("got %d bytes (status %d, err %v), want %d", n, res.StatusCode, err, size)
	}
	hwm := peakRSS(t, g.cmd.Process.Pid)
	if hwm > size/2 {
		t.Fatalf("gateway peak RSS %d MiB for a %d MiB body: the body was buffered", hwm>>20, size>>20)
	}
	t.Logf("gateway peak RSS %d MiB for a %d MiB download", hwm>>20, size>>20)
}

// peakRSS reads VmHWM (bytes) of a process.
func peakRSS(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
