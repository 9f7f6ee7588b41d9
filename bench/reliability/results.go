package main

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// Results is what a run writes to its JSON file and renders as
// RELIABILITY.md.
type Results struct {
	Date    string     `json:"date"`
	Command string     `json:"command"`
	Machine Machine    `json:"machine"`
	Seconds float64    `json:"seconds"` // the whole run
	Phases  []*Phase   `json:"phases"`
	LoadEnd [3]float64 `json:"load_average_end"`
}

// Phase is one phase's outcome. Data holds its figures (one of the *Result
// types of the phase files).
type Phase struct {
	Name    string  `json:"name"`
	Title   string  `json:"title"`
	Status  string  `json:"status"` // ran, failed (Error says why), skipped (Error says why)
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
	// Conditions of the machine during the phase: the load average at its
	// start and end, and how busy every core was on average (all processes,
	// the gateway and this program included), from /proc/stat.
	LoadStart [3]float64 `json:"load_average_start"`
	LoadEnd   [3]float64 `json:"load_average_end"`
	BusyCores float64    `json:"busy_cores"`
	Notes     []string   `json:"notes,omitempty"`
	Targets   []Target   `json:"targets"`
	Data      any        `json:"data,omitempty"`
}

// Target is one reliability goal and what the run
// saw.
type Target struct {
	What string `json:"what"` // the goal, e.g. "peak RSS under 1 GB"
	Got  string `json:"got"`  // what the run measured
	Met  bool   `json:"met"`
}

func writeJSON(path string, r *Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
