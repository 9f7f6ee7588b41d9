package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// json reports whether -o json was asked for.
func (c *ctl) json() bool { return c.output == "json" }

// printJSON writes v as indented JSON.
func (c *ctl) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table is a tabwriter for aligned columns; call Flush when done.
func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

func row(w io.Writer, cols ...any) {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(w, strings.Join(parts, "\t"))
}

// orDash shows an empty value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// list shows a list of patterns: "-" for none, "(none)" for an empty one.
func list(l []string) string {
	switch {
	case l == nil:
		return "-"
	case len(l) == 0:
		return "(none)"
	}
	return strings.Join(l, ", ")
}

func labels(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return orDash(strings.Join(parts, ","))
}

// compactJSON shows params on one line.
func compactJSON(v any) string {
	if v == nil {
		return "-"
	}
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return "-"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
