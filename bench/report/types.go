package main

import "github.com/sandgate/sandgate/bench/internal/results"

// The result types, shared with the other side of results.json.
type (
	Results    = results.Results
	Settings   = results.Settings
	SystemInfo = results.SystemInfo
	Round      = results.Round
	SandboxRun = results.SandboxRun
)
