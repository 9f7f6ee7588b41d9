package integration

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// limitsSetup starts a gateway with the given limits: block and an echo
// upstream; it returns the upstream's URL.
func limitsSetup(t *testing.T, limits string) (*gateway, *echo, string) {
	t.Helper()
	ca := newUpstreamCA(t)
	e := &echo{}
	up := ca.startTLS(t, e)
	g := startGateway(t, gatewayConfig{Classes: openClasses, CAFiles: []string{ca.PEMFile}, Extra: "limits:\n" + limits})
	return g, e, up.URL
}

// bind puts script src as handler name and binds it as sandbox id's
// catch-all handler.
func (g *gateway) bind(id, name, src string) {
	g.t.Helper()
	g.mustAPI(200, "PUT", "/v1/scripts/"+name, src)
	g.mustAPI(200, "PUT", "/v1/sandboxes/"+id+"/outbound", map[string]any{"handler": name})
}

// procStatus reads a field of /proc/PID/status, in kB.
func (g *gateway) procStatus(t *testing.T, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb
		}
	}
	t.Fatalf("no %s in /proc status", field)
	return 0
}

const memoryBomb = `return function(req, ctx)
  local t, i = {}, 0
  while true do i = i + 1; t[i] = {i, tostring(i)} end
end`

// Handlers growing tables are stopped at limits.max_memory (502
// handler_error, the log names the limit) long before their 30s time
// limit; the gateway stays up and serves the next request.
func TestMemoryBombHandlerStopped(t *testing.T) {
	g, e, upURL := limitsSetup(t, "  max_memory: 256MiB\n  handler_timeout: 30s\n")
	var bombers []*sandbox
	for _, id := range []string{"bomb1", "bomb2"} {
		bombers = append(bombers, g.createSandbox(map[string]any{"id": id}))
		g.bind(id, "bomb", memoryBomb)
	}
	var wg sync.WaitGroup
	results := make(chan curlResult, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- curl(t, append(viaProxy(g, bombers[i%2]), upURL+"/bomb")...)
		}()
	}
	wg.Wait()
	close(results)
	for r := range results {
		if r.Status != 502 || r.Header("Sandgate-Decision") != "error; reason=handler_error" {
			t.Errorf("bomb: got %d %q, want 502 error; reason=handler_error", r.Status, r.Header("Sandgate-Decision"))
		}
	}
	if !strings.Contains(g.Logs(), "limits.max_memory") {
		t.Error("the log does not say the handlers were stopped at limits.max_memory")
	}
	if got := metric(scrape(t, g), "sandgate_handler_memory_stops_total", nil); got < 1 {
		t.Errorf("sandgate_handler_memory_stops_total: got %v, want at least 1", got)
	}
	peak := g.procStatus(t, "VmHWM")
	rss := g.procStatus(t, "VmRSS")
	for i := 0; i < 100 && rss > peak/2; i++ { // the memory goes back to the system
		time.Sleep(100 * time.Millisecond)
		rss = g.procStatus(t, "VmRSS")
	}
	t.Logf("gateway peak RSS %d MiB, RSS after the stops %d MiB (max_memory 256 MiB)", peak>>10, rss>>10)
	if rss > peak/2 {
		t.Errorf("RSS stayed at %d MiB of a %d MiB peak: the memory was not returned", rss>>10, peak>>10)
	}

	quiet := g.createSandbox(map[string]any{"id": "quiet"})
	g.bind("quiet", "forward", `return function(req, ctx) return fetch(req) end`)
	if r := curl(t, append(viaProxy(g, quiet), upURL+"/after")...); r.Status != 200 || e.last(t).Path != "/after" {
		t.Fatalf("after the bombs: got %d %s, want 200 from the upstream", r.Status, r.Body)
	}
}

// Sandbox A's 16 looping handler calls hold only its 2 slots; sandbox B's
// 20 requests are answered while A's are all still running, and A's calls
// beyond its slots fail for want of one.
func TestLoopingNeighbourLeavesOtherSandboxServed(t *testing.T) {
	// A time limit far longer than B needs, even on a loaded machine
	// (and under curl's 20s in curl()).
	g, _, upURL := limitsSetup(t, "  handler_timeout: 15s\n  handler_concurrency: 2\n")
	a := g.createSandbox(map[string]any{"id": "noisy"})
	g.bind("noisy", "spin", `return function(req, ctx) while true do end end`)
	b := g.createSandbox(map[string]any{"id": "calm"})
	g.bind("calm", "forward", `return function(req, ctx) return fetch(req) end`)

	var aDone atomic.Int32
	var wg sync.WaitGroup
	aResults := make(chan curlResult, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := curl(t, append(viaProxy(g, a), upURL+"/spin")...)
			aDone.Add(1)
			aResults <- r
		}()
	}
	for i := 0; i < 20; i++ {
		if r := curl(t, append(viaProxy(g, b), fmt.Sprintf("%s/calm/%d", upURL, i))...); r.Status != 200 {
			t.Fatalf("B's request %d: got %d %s, want 200", i, r.Status, r.Body)
		}
	}
	if n := aDone.Load(); n != 0 {
		t.Errorf("%d of A's requests were answered before B's 20; want B's done while A's all run", n)
	}
	wg.Wait()
	close(aResults)
	for r := range aResults {
		if r.Status != 502 || r.Header("Sandgate-Decision") != "error; reason=handler_error" {
			t.Errorf("A: got %d %q, want 502 error; reason=handler_error", r.Status, r.Header("Sandgate-Decision"))
		}
	}
	// The calls waiting for a slot all reach their deadline together with
	// the two running ones: which of them gets a slot freed at the last
	// moment (and is then stopped in the loop) is a race, so how many are
	// refused for want of a slot may be none. Those that are must be
	// counted; engine's TestSlotsPerSandbox shows the cap itself.
	n := strings.Count(g.Logs(), "no free handler slot")
	if got := metric(scrape(t, g), "sandgate_handler_slot_timeouts_total", nil); got != float64(n) {
		t.Errorf("sandgate_handler_slot_timeouts_total: got %v, want %d (one per logged refusal)", got, n)
	}
	t.Logf("%d of A's 16 calls found no free slot", n)
}
