package main

import (
	"encoding/json"
	"os"
)

// inputs is everything the report is made of.
type inputs struct {
	Results  Results
	Micro    []Bench
	MicroRaw string
	MicroCmd string
	// Analysis is hand-written markdown on what limits the results, from
	// AnalysisFile; empty for none.
	Analysis, AnalysisFile string
	Profile                string
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
