// Package results is the JSON that bench/compare writes and bench/report
// reads: one type, so the two cannot drift apart.
package results

import (
	"github.com/sandgate/sandgate/bench/internal/load"
)

// Results is everything one comparison run measured; bench/report turns it
// into BENCHMARKS.md.
type Results struct {
	Date      string            `json:"date"`
	Machine   map[string]string `json:"machine"`
	Versions  map[string]string `json:"versions"`
	Command   string            `json:"command"`
	Settings  Settings          `json:"settings"`
	Systems   []SystemInfo      `json:"systems"`
	Rounds    []Round           `json:"rounds"`
	Sandboxes *SandboxRun       `json:"sandboxes,omitempty"`
	Seconds   float64           `json:"seconds"` // the whole comparison
	// ScrubLinked says the sandgate binary holds package scrub (its
	// symbols): the scrub shape then wants every value redacted.
	ScrubLinked bool `json:"scrub_linked"`
}

// Settings are the run's parameters.
type Settings struct {
	Rounds      int      `json:"rounds"`
	Warmup      string   `json:"warmup"`
	Duration    string   `json:"duration"`
	MaxRequests int      `json:"max_requests"`
	Concurrency int      `json:"concurrency"`
	Shapes      []string `json:"shapes"`
	Order       []string `json:"order"` // systems in the order each round runs them
	Host        string   `json:"host"`  // the target URL's host
	// What the shapes beyond keepalive and newconn were run with.
	WSMsgSize    int    `json:"ws_msg_size,omitempty"` // bytes of a WebSocket message
	BlobSize     int    `json:"blob_size,omitempty"`   // bytes of the scrub shape's body
	BlobValues   int    `json:"blob_values,omitempty"` // secret values in it
	ScrubConc    int    `json:"scrub_concurrency,omitempty"`
	FairConc     int    `json:"fair_concurrency,omitempty"` // the measured sandbox's connections
	FairInterval string `json:"fair_interval,omitempty"`    // the pause of each of them
	FloodConc    int    `json:"flood_concurrency,omitempty"`
}

// SystemInfo describes one system under test.
type SystemInfo struct {
	Key     string   `json:"key"`
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Notes   []string `json:"notes"`
}

// Round is one load run of one system in one shape.
type Round struct {
	Shape  string `json:"shape"` // keepalive, newconn, h2-16, h2-100, ws, scrub or fair
	Round  int    `json:"round"`
	System string `json:"system"`
	// Variant tells the loads of one system in a shape apart (scrub:
	// secrets or none read; fair: idle or flood); empty for the others.
	Variant    string      `json:"variant,omitempty"`
	Load       load.Result `json:"load"`
	CPUms      float64     `json:"cpu_ms"`         // the proxy tree's CPU time while counting
	CPUReq     float64     `json:"cpu_ms_per_req"` // CPUms / requests
	SysCPUms   float64     `json:"sys_cpu_ms"`     // of CPUms, the system (kernel) time
	AuxCPU     float64     `json:"aux_cpu_ms"`     // the secrets backend's (Vault's) CPU time while counting
	LoadCPU    float64     `json:"load_cpu_ms"`    // the load generator's and the upstream's (this process's)
	MachineCPU float64     `json:"machine_cpu_ms"` // every core's busy time while counting (/proc/stat)
	// OtherCPU is the machine's busy CPU time while counting that none of
	// the above used (other processes on the machine, the kernel's own
	// work); OtherCores the same as cores kept busy on average.
	OtherCPU   float64 `json:"other_cpu_ms"`
	OtherCores float64 `json:"other_cores"`
	PeakRSS    uint64  `json:"peak_rss_bytes"` // peak of the tree's summed VmRSS, sampled every 100 ms
	HWM        uint64  `json:"hwm_bytes"`      // sum of the tree's VmHWM at the end of the round
	Failure    string  `json:"failure,omitempty"`
	// Flood is what the flooding sandbox's load measured (fair, flood).
	Flood *load.Result `json:"flood,omitempty"`
}

// Key is the round's system and variant: "sandgate-file" or
// "sandgate-file/flood".
func (r Round) Key() string {
	if r.Variant == "" {
		return r.System
	}
	return r.System + "/" + r.Variant
}

// SandboxRun is the creation of many sandboxes through the admin API of a
// fresh gateway.
type SandboxRun struct {
	Requested   int     `json:"requested"`
	Created     int     `json:"created"`
	Failed      int     `json:"failed"`
	Workers     int     `json:"workers"`
	Seconds     float64 `json:"seconds"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	RSSBefore   uint64  `json:"rss_before_bytes"`
	RSSAfter    uint64  `json:"rss_after_bytes"`
	PeakRSS     uint64  `json:"peak_rss_bytes"`
	HWM         uint64  `json:"hwm_bytes"`
	Error       string  `json:"error,omitempty"`
	StatusCount int     `json:"status_sandbox_count"` // what /v1/status reports afterwards (-1 if absent)
	// LiveHeap is HeapAlloc right after a forced GC (/debug/pprof/heap?gc=1),
	// RSSAfterGC the RSS then; 0 when the admin API has no pprof.
	LiveHeap   uint64 `json:"live_heap_bytes"`
	RSSAfterGC uint64 `json:"rss_after_gc_bytes"`
}
