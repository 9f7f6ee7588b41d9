package main

import (
	"encoding/json"
	"os"
)

// Results mirrors what bench/compare writes (only what the report reads).
type Results struct {
	Date     string            `json:"date"`
	Machine  map[string]string `json:"machine"`
	Versions map[string]string `json:"versions"`
	Command  string            `json:"command"`
	Settings struct {
		Rounds      int      `json:"rounds"`
		Warmup      string   `json:"warmup"`
		Duration    string   `json:"duration"`
		MaxRequests int      `json:"max_requests"`
		Concurrency int      `json:"concurrency"`
		Shapes      []string `json:"shapes"`
		Order       []string `json:"order"`
		Host        string   `json:"host"`
	} `json:"settings"`
	Systems []struct {
		Key     string   `json:"key"`
		Name    string   `json:"name"`
		Version string   `json:"version"`
		Notes   []string `json:"notes"`
	} `json:"systems"`
	Rounds    []Round     `json:"rounds"`
	Sandboxes *SandboxRun `json:"sandboxes"`
	Seconds   float64     `json:"seconds"`
}

// Round is one load run.
type Round struct {
	Shape  string `json:"shape"`
	Round  int    `json:"round"`
	System string `json:"system"`
	Load   struct {
		Requests     int      `json:"requests"`
		Errors       int      `json:"errors"`
		Mismatches   int      `json:"mismatches"`
		RPS          float64  `json:"rps"`
		Seconds      float64  `json:"seconds"`
		P50          float64  `json:"p50_ms"`
		P99          float64  `json:"p99_ms"`
		TLS          string   `json:"tls"`
		WarmupErrors int      `json:"warmup_errors"`
		ErrorSamples []string `json:"error_samples"`
	} `json:"load"`
	CPUReq     float64 `json:"cpu_ms_per_req"`
	MachineCPU float64 `json:"machine_cpu_ms"`
	LoadCPU    float64 `json:"load_cpu_ms"`
	OtherCores float64 `json:"other_cores"`
	AuxCPU     float64 `json:"aux_cpu_ms"`
	PeakRSS    uint64  `json:"peak_rss_bytes"`
	HWM        uint64  `json:"hwm_bytes"`
	Failure    string  `json:"failure"`
}

// SandboxRun is the many-sandboxes run.
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
	Error       string  `json:"error"`
	StatusCount int     `json:"status_sandbox_count"`
	LiveHeap    uint64  `json:"live_heap_bytes"`
	RSSAfterGC  uint64  `json:"rss_after_gc_bytes"`
}

// inputs is everything the report is made of.
type inputs struct {
	Results  Results
	Micro    []Bench
	MicroRaw string
	MicroCmd string
	Profile  string
}

func readInputs(results, micro, profile string) (*inputs, error) {
	in := &inputs{}
	b, err := os.ReadFile(results)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &in.Results); err != nil {
		return nil, err
	}
	if b, err = os.ReadFile(micro); err != nil {
		return nil, err
	}
	in.MicroRaw = string(b)
	in.Micro = parseBench(in.MicroRaw)
	if profile != "" {
		if b, err = os.ReadFile(profile); err == nil {
			in.Profile = string(b)
		}
	}
	return in, nil
}
