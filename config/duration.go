package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a Go duration written as text ("250ms", "1s"); the zero value
// means "not set" and gets the key's default.
type Duration struct {
	time.Duration
	Set bool
}

// UnmarshalYAML parses a Go duration and names the line of a bad one.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a duration such as \"250ms\"", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q (use Go syntax such as \"250ms\" or \"10s\")", n.Line, n.Value)
	}
	if v < 0 {
		return fmt.Errorf("line %d: duration %q is negative", n.Line, n.Value)
	}
	d.Duration, d.Set = v, true
	return nil
}

// MarshalYAML writes the duration back as text.
func (d Duration) MarshalYAML() (any, error) { return d.Duration.String(), nil }

func (d *Duration) orDefault(def time.Duration) {
	if !d.Set {
		d.Duration = def
	}
}
