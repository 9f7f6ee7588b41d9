package config

import (
	"os"
	"testing"
)

// FuzzParse: Parse never panics, and a config it accepts stays valid when
// its defaults are applied and it is validated again (what serve relies on
// after check said OK).
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../examples/sandgate.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("version: 1\n"))
	f.Add([]byte("version: 1\nclasses:\n  default:\n    allowed_hosts: [\"{api,uploads}.github.com\"]\n    outbound_by_host:\n      \"*.example.com:443\": { handler: inject_header, params: { header: X-Key } }\n"))
	f.Add([]byte("version: 1\nlimits: { max_memory: 64MiB, handler_timeout: 100ms }\nstate: { backend: memory }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		c.applyDefaults()
		if errs := c.validate(&lineIndex{}); len(errs) > 0 {
			t.Fatalf("accepted config fails validation the second time: %v", errs)
		}
	})
}
