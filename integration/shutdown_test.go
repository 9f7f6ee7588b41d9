package integration

import (
	"net/http"
	"syscall"
	"testing"
	"time"
)

// SIGTERM lets a request in flight finish, then the process exits.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	ca := newUpstreamCA(t)
	started := make(chan struct{}, 1)
	up := ca.startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		time.Sleep(time.Second)
		w.Write([]byte("finished"))
	}))
	g := startGateway(t, gatewayConfig{Classes: basicClasses, CAFiles: []string{ca.PEMFile}})
	sb := g.createSandbox(map[string]any{"id": "sd"})
	done := make(chan curlResult, 1)
	go func() { done <- curl(t, append(viaProxy(g, sb), up.URL+"/slow")...) }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the upstream")
	}
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.Status != 200 || r.Body != "finished" {
		t.Fatalf("in-flight request: got %d %q (%s), want 200 finished", r.Status, r.Body, r.Stderr)
	}
	select {
	case <-g.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not exit after SIGTERM")
	}
	if code := g.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("got exit code %d, want 0", code)
	}
}
