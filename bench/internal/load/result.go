package load

import (
	"math"
	"slices"
	"time"
)

// Result is what a run measured. Latencies are in milliseconds; a request
// is one exchange (a WebSocket message and its echo in ModeWS).
type Result struct {
	Requests     int      `json:"requests"` // counted requests, errors included
	OK           int      `json:"ok"`       // 200 with the expected header value
	Errors       int      `json:"errors"`   // Requests - OK
	Mismatches   int      `json:"mismatches"`
	Seconds      float64  `json:"seconds"`
	RPS          float64  `json:"rps"`
	P50          float64  `json:"p50_ms"`
	P90          float64  `json:"p90_ms"`
	P99          float64  `json:"p99_ms"`
	Max          float64  `json:"max_ms"`
	TLS          string   `json:"tls"`           // version, cipher suite and leaf key the client saw
	WarmupErrors int      `json:"warmup_errors"` // failed requests of the warm-up (not counted above)
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Bytes is the response body bytes of the counted requests that passed
	// (ModeBlob).
	Bytes int64 `json:"bytes,omitempty"`
	// Conns is how many connections the client opened in the whole run,
	// warm-up included (ModeH2 and ModeWS).
	Conns int `json:"connections,omitempty"`
	// Proto is the application protocol the client negotiated with the
	// server it spoke TLS to (h2, http/1.1); UpstreamProto the protocol the
	// upstream says it was spoken to in (ModeH2).
	Proto         string `json:"protocol,omitempty"`
	UpstreamProto string `json:"upstream_protocol,omitempty"`
	// Redacted and Intact count the checked bodies of ModeBlob whose secret
	// values came as [redacted] and as themselves.
	Redacted int `json:"redacted,omitempty"`
	Intact   int `json:"intact,omitempty"`
}

func (r *runner) result(workers []worker, elapsed time.Duration) Result {
	var all []time.Duration
	res := Result{Seconds: elapsed.Seconds()}
	for _, w := range workers {
		all = append(all, w.lat...)
		res.OK += w.ok
		res.Mismatches += w.mismatches
		res.Bytes += w.bytes
		res.Redacted += w.redacted
		res.Intact += w.intact
	}
	res.Requests = len(all)
	res.Errors = res.Requests - res.OK
	if elapsed > 0 {
		res.RPS = float64(res.Requests) / elapsed.Seconds()
	}
	slices.Sort(all)
	res.P50 = ms(quantile(all, 0.50))
	res.P90 = ms(quantile(all, 0.90))
	res.P99 = ms(quantile(all, 0.99))
	if len(all) > 0 {
		res.Max = ms(all[len(all)-1])
	}
	res.Conns = r.drv.conns()
	r.mu.Lock()
	defer r.mu.Unlock()
	res.TLS = r.tlsInfo
	res.Proto, res.UpstreamProto = r.proto, r.upstreamProto
	res.WarmupErrors = r.warmupErrors
	res.ErrorSamples = r.samples
	return res
}

// quantile is the nearest-rank quantile of sorted latencies.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
