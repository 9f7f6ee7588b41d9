package main

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// metrics is one scrape of the Prometheus text format: enough of it to
// read counters and gauges by name and label.
type metrics []sample

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetrics reads the text exposition format; comments and lines it
// cannot read are skipped.
func parseMetrics(r io.Reader) (metrics, error) {
	var m metrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if s, ok := parseSample(line); ok {
			m = append(m, s)
		}
	}
	return m, sc.Err()
}

func parseSample(line string) (sample, bool) {
	s := sample{labels: map[string]string{}}
	rest := line
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return s, false
		}
		s.name, rest = line[:i], line[j+1:]
		parseLabels(line[i+1:j], s.labels)
	} else {
		name, after, ok := strings.Cut(line, " ")
		if !ok {
			return s, false
		}
		s.name, rest = name, after
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return s, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return s, false
	}
	s.value = v
	return s, true
}

// parseLabels reads a="x",b="y" (values without escaped quotes, which is
// all sandgate's labels hold).
func parseLabels(s string, into map[string]string) {
	for s != "" {
		k, rest, ok := strings.Cut(s, "=\"")
		if !ok {
			return
		}
		v, after, ok := strings.Cut(rest, "\"")
		if !ok {
			return
		}
		into[strings.TrimSpace(k)] = v
		s = strings.TrimPrefix(after, ",")
	}
}

// sum adds the values of name whose labels include every pair of match.
func (m metrics) sum(name string, match map[string]string) float64 {
	var total float64
	for _, s := range m {
		if s.name == name && hasLabels(s.labels, match) {
			total += s.value
		}
	}
	return total
}

// by adds the values of name by the value of label.
func (m metrics) by(name, label string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range m {
		if s.name == name {
			out[s.labels[label]] += s.value
		}
	}
	return out
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
