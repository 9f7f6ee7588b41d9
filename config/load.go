package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a config file: where it is and what is wrong.
type Error struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted path, e.g. classes.default.allowed_hosts[1]
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads, decodes, defaults and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: reading %s: %w", path, err)
	}
	return Parse(data, path)
}

// Parse decodes data as if read from file, then applies defaults and validates.
// Every problem found is returned, joined.
func Parse(data []byte, file string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &Error{File: file, Msg: "file is empty (start with \"version: 1\")"}
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, yamlError(file, err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("config: resolving %s: %w", file, err)
	}
	c.File, c.Dir = file, filepath.Dir(abs)
	lines := &lineIndex{root: root.Content[0]}
	c.recordLines(lines)
	c.applyDefaults()
	if errs := c.validate(lines); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

var (
	unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type config\.(\w+)`)
	lineRef      = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// yamlError turns yaml.v3's errors into Errors naming file, line and key.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		msg := err.Error()
		if m := lineRef.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			return &Error{File: file, Line: n, Msg: m[2]}
		}
		return &Error{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
	}
	var errs []error
	for _, s := range te.Errors {
		if m := unknownField.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[1])
			errs = append(errs, &Error{File: file, Line: n, Key: m[2],
				Msg: fmt.Sprintf("unknown key in %s", sectionName(m[3]))})
			continue
		}
		if m := lineRef.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[1])
			errs = append(errs, &Error{File: file, Line: n, Msg: m[2]})
			continue
		}
		errs = append(errs, &Error{File: file, Msg: s})
	}
	return errors.Join(errs...)
}

func sectionName(typ string) string {
	names := map[string]string{
		"Config": "the top level", "Proxy": "proxy", "Admin": "admin", "Secrets": "secrets",
		"FileSecrets": "secrets.file", "Vault": "secrets.vault", "AppRole": "secrets.vault.approle",
		"Upstream": "upstream", "Egress": "egress", "Limits": "limits", "Log": "log",
		"Class": "a class", "Binding": "a binding", "RateLimit": "a rate_limit", "State": "state",
		"Etcd": "state.etcd", "Seal": "state.seal", "VaultTransit": "state.seal.vault_transit",
	}
	if n, ok := names[typ]; ok {
		return n
	}
	return typ
}

// resolve makes p absolute against the config file's folder.
func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}
