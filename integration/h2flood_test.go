package integration

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestHTTP2RapidReset: a sandbox that opens and resets thousands of HTTP/2
// streams on one connection does not stop another sandbox from being
// served, its own streams never reach the upstream in any number, and the
// gateway closes the connection once the sandbox's reset budget is spent.
func TestHTTP2RapidReset(t *testing.T) {
	ca := newUpstreamCA(t)
	e := &echo{}
	up := ca.startTLS(t, e)
	g := startGateway(t, gatewayConfig{Classes: protoClasses, CAFiles: []string{ca.PEMFile}})
	attacker := g.createSandbox(map[string]any{"id": "flood"})
	victim := g.createSandbox(map[string]any{"id": "victim"})
	target := strings.TrimPrefix(up.URL, "https://")

	conn, err := connectThrough(t.Context(), g, attacker, target)
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(conn, sandboxTLS(t, attacker, "127.0.0.1", "h2"))
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	if err := tc.Handshake(); err != nil || tc.ConnectionState().NegotiatedProtocol != "h2" {
		t.Fatalf("handshake: %v (%q)", err, tc.ConnectionState().NegotiatedProtocol)
	}
	if _, err := tc.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(tc, tc)
	_ = fr.WriteSettings()
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", target}, {":path", "/flood"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	block := hbuf.Bytes()

	var stop atomic.Bool
	var sent atomic.Int64
	var wg sync.WaitGroup
	wg.Add(2)
	hungUp := make(chan struct{})
	go func() { // drain whatever the gateway sends, until it hangs up
		defer wg.Done()
		defer close(hungUp)
		for {
			if _, err := fr.ReadFrame(); err != nil {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for id := uint32(1); id < 2*20000 && !stop.Load(); id += 2 {
			if fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}) != nil {
				return
			}
			if fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
				return
			}
			sent.Add(1)
		}
	}()
	client := proxyClient(t, g, victim)
	for i := range 50 {
		res, err := client.Get(up.URL + "/victim")
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("victim request %d during the flood: %v %v", i, res, err)
		}
		res.Body.Close()
	}
	// The gateway ends the connection itself once the sandbox has reset
	// more streams than its budget allows (the deadline above bounds it).
	<-hungUp
	stop.Store(true)
	tc.Close()
	wg.Wait()
	if n := sent.Load(); n >= 20000 {
		t.Errorf("the gateway took all %d reset streams without closing the connection", n)
	}
	if got := metric(scrape(t, g), "sandgate_connection_errors_total", map[string]string{"reason": "h2_reset_flood"}); got < 1 {
		t.Errorf("sandgate_connection_errors_total{reason=h2_reset_flood}: got %v, want at least 1", got)
	}
	// Only streams reset early count: the same sandbox's ordinary requests
	// are served at once, its budget spent or not.
	res, err := proxyClient(t, g, attacker).Get(up.URL + "/after")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the attacker's ordinary request after the flood: %v %v", res, err)
	}
	res.Body.Close()
	flood := 0
	for _, s := range e.all() {
		if s.Path == "/flood" {
			flood++
		}
	}
	t.Logf("the attacker reset %d streams; %d reached the upstream", sent.Load(), flood)
	if flood > 1000 {
		t.Errorf("%d reset streams reached the upstream", flood)
	}
}
