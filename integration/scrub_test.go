package integration

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const scrubSecret = "sk-live-0123456789abcdef"

// leaky is an upstream that echoes the Authorization it got: in a header,
// in the body (split across two flushed writes), gzipped, in another
// encoding, or as server-sent events, depending on the path.
func leaky() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		f := w.(http.Flusher)
		switch r.URL.Path {
		case "/echo":
			w.Header().Set("X-Seen", "token="+tok)
			half := len(tok) / 2
			_, _ = io.WriteString(w, "before "+tok[:half])
			f.Flush()
			time.Sleep(20 * time.Millisecond)
			_, _ = io.WriteString(w, tok[half:]+" after")
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			_, _ = io.WriteString(zw, "zipped "+tok+" end")
			_ = zw.Close()
		case "/br":
			w.Header().Set("Content-Encoding", "br")
			_, _ = w.Write([]byte{0x0b, 0x02, 0x80})
		case "/events":
			w.Header().Set("Content-Type", "text/event-stream")
			for i := range 3 {
				_, _ = io.WriteString(w, "data: event "+string(rune('0'+i))+" "+tok+"\n\n")
				f.Flush()
				time.Sleep(300 * time.Millisecond)
			}
		case "/token":
			_, _ = io.WriteString(w, `{"access_token":"minted-token-abcdef"}`)
		case "/whoami":
			_, _ = io.WriteString(w, "you are "+r.Header.Get("Authorization"))
		}
	})
}

// TestSecretsScrubbedFromResponses: a secret a handler injects never comes
// back to the sandbox: not in a header, not in a body split across writes,
// not inside gzip; another encoding is refused; events still stream one by
// one; a token protected after a fetch{} exchange is hidden too.
func TestSecretsScrubbedFromResponses(t *testing.T) {
	up := httptest.NewServer(leaky())
	t.Cleanup(up.Close)
	g := startGateway(t, gatewayConfig{Classes: protoClasses,
		Secrets: map[string]map[string]string{"sandboxes/sc": {"key": scrubSecret}}})
	sb := g.createSandbox(map[string]any{"id": "sc"})
	port := port(t, up.URL)
	bind(g, "sc", "127.0.0.1:"+port, "inject_header", map[string]any{"header": "Authorization",
		"secret": "sandboxes/{sandbox_id}", "field": "key", "prefix": "Bearer "})

	r := curl(t, append(viaProxy(g, sb), up.URL+"/echo")...)
	if r.Status != 200 || r.Body != "before [redacted] after" || r.Header("X-Seen") != "token=[redacted]" {
		t.Errorf("echo: got %d, header %q, body %q; want the value redacted in both", r.Status, r.Header("X-Seen"), r.Body)
	}
	if a := auditByID(t, g, r.Header("Sandgate-Request-Id")); a.num("redactions") != 2 {
		t.Errorf("echo: audit redactions %v, want 2", a.num("redactions"))
	}
	r = curl(t, append(viaProxy(g, sb), "--compressed", up.URL+"/gzip")...)
	if r.Body != "zipped [redacted] end" || r.Header("Content-Encoding") != "" {
		t.Errorf("gzip: got body %q, Content-Encoding %q; want it decoded and redacted", r.Body, r.Header("Content-Encoding"))
	}
	r = curl(t, append(viaProxy(g, sb), up.URL+"/br")...)
	if r.Status != 502 || r.Header("Sandgate-Decision") != "error; reason=unscannable_response" {
		t.Errorf("br: got %d %q, want 502 unscannable_response", r.Status, r.Header("Sandgate-Decision"))
	}

	// Events arrive one at a time: the first is read before the last is sent.
	c := proxyClient(t, g, sb)
	res, err := c.Get(up.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(res.Body)
	first, err := br.ReadString('\n')
	if err != nil || first != "data: event 0 [redacted]\n" {
		t.Fatalf("first event: got %q, %v", first, err)
	}
	rest, _ := io.ReadAll(br)
	res.Body.Close()
	if strings.Contains(string(rest), scrubSecret) || !strings.Contains(string(rest), "event 2 [redacted]") {
		t.Errorf("later events: got %q", rest)
	}

	// A token the handler obtains itself, protected.
	g.mustAPI(200, "PUT", "/v1/scripts/exchange", []byte(`return function(req, ctx)
  local res = fetch{url = "`+up.URL+`/token"}
  local tok = secrets.protect(json.decode(res:body()).access_token)
  req:set_header("Authorization", "Bearer " .. tok)
  return fetch(req)
end`))
	bind(g, "sc", "localhost:"+port, "exchange", nil)
	r = curl(t, append(viaProxy(g, sb), "http://localhost:"+port+"/whoami")...)
	if r.Body != "you are Bearer [redacted]" {
		t.Errorf("protected token: got %q", r.Body)
	}
	for _, line := range strings.Split(g.Logs(), "\n") {
		if strings.Contains(line, scrubSecret) || strings.Contains(line, "minted-token-abcdef") {
			t.Errorf("a secret value reached the gateway's log or audit (line of %d bytes)", len(line))
		}
	}
	if got := metric(scrape(t, g), "sandgate_redactions_total", nil); got < 6 {
		t.Errorf("sandgate_redactions_total: got %v, want at least 6", got)
	}
}
