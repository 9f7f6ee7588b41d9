package config

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// lineIndex finds the line of a key in the decoded YAML tree, so that
// validation errors can point at it.
type lineIndex struct{ root *yaml.Node }

// line returns the line of the node at a dotted path such as
// "classes.default.allowed_hosts[1]", or of its nearest existing parent.
func (l *lineIndex) line(path string) int {
	n := l.root
	best := 0
	if n != nil {
		best = n.Line
	}
	for _, part := range splitPath(path) {
		next := child(n, part)
		if next == nil {
			return best
		}
		n, best = next, next.Line
	}
	return best
}

func splitPath(path string) []string {
	var parts []string
	for _, p := range strings.Split(path, ".") {
		for {
			i := strings.IndexByte(p, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				parts = append(parts, p[:i])
			}
			j := strings.IndexByte(p, ']')
			if j < i {
				break
			}
			parts = append(parts, p[i:j+1])
			p = p[j+1:]
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

func child(n *yaml.Node, part string) *yaml.Node {
	if n == nil {
		return nil
	}
	if strings.HasPrefix(part, "[") {
		i, err := strconv.Atoi(strings.Trim(part, "[]"))
		if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
			return nil
		}
		return n.Content[i]
	}
	return mapChild(n, part)
}

// mapChild is the value of key in mapping n, or nil.
func mapChild(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// recordLines stores where classes and bindings start, for later errors
// (e.g. a binding to an unknown handler found when scripts are compiled).
func (c *Config) recordLines(l *lineIndex) {
	for name, cl := range c.Classes {
		if cl == nil {
			continue
		}
		cl.Line = l.line("classes." + name)
		if cl.Outbound != nil {
			cl.Outbound.Line = l.line("classes." + name + ".outbound")
		}
		for pat, b := range cl.OutboundByHost {
			if b != nil {
				b.Line = l.lineOfKey("classes."+name+".outbound_by_host", pat)
			}
		}
	}
}

// lineOfKey is the line of a map key that may contain dots or brackets (a
// host pattern): where the key itself is written.
func (l *lineIndex) lineOfKey(parent, key string) int {
	n := l.root
	for _, part := range splitPath(parent) {
		if n = child(n, part); n == nil {
			return l.line(parent)
		}
	}
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	if n == nil {
		return l.line(parent)
	}
	return n.Line
}
