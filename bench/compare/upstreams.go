package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sandgate/sandgate/bench/internal/systems"
	"github.com/sandgate/sandgate/bench/internal/upstream"
)

// startUpstreams starts the upstream every shape but h2 loads (HTTP/1.1:
// the echo, the WebSocket echo and the scrub shape's body) and, for the h2
// shapes, one that offers HTTP/2 too.
func (b *bench) startUpstreams(e *env, ca *upstream.CA) error {
	secret := "bench-" + randHex(16)
	values := []string{"scrub-" + randHex(12), "scrub-" + randHex(12), "scrub-" + randHex(12)}
	valuesFile := filepath.Join(b.work, "blob-values")
	if err := os.WriteFile(valuesFile, []byte(strings.Join(values, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	blob, err := upstream.NewBlob(values, blobSize)
	if err != nil {
		return err
	}
	if e.upstream, err = upstream.StartWith(ca, upstream.Options{Header: systems.Header, Want: secret, Blob: blob}); err != nil {
		return err
	}
	host := func(u string) string { return strings.Replace(u, "127.0.0.1", b.host, 1) }
	origin := host(e.upstream.Origin())
	b.target = target{URL: host(e.upstream.URL), Secret: secret, AuxPID: map[string]int{},
		WSURL: "wss" + strings.TrimPrefix(origin, "https") + "/ws", BlobURL: origin + "/blob", BlobValues: valuesFile, blobValues: values}
	if slices.Contains(b.shapes, shapeH2x16) || slices.Contains(b.shapes, shapeH2x100) {
		if e.h2, err = upstream.StartWith(ca, upstream.Options{Header: systems.Header, H2: true}); err != nil {
			return err
		}
		b.target.H2URL = host(e.h2.URL)
	}
	return nil
}

// sideSandboxes creates the sandboxes beside the main one on sandgate-file:
// one whose handler reads the three values of the scrub shape's body, one
// whose handler reads none, one that floods.
func (b *bench) sideSandboxes(e *env) error {
	e.sandboxes = map[string]*systems.System{}
	for _, sb := range []struct {
		variant, id string
		binding     systems.Binding
	}{
		{variantSecrets, "scrub", systems.ReadSecrets("a", "b", "c")},
		{variantNone, "plain", systems.SetHeader("not-a-secret")},
		{variantFlood, "flood", systems.InjectHeader},
	} {
		s, err := e.gateway.Sandbox("sandgate-file", "sandgate (file secrets)", sb.id, sb.binding)
		if err != nil {
			return fmt.Errorf("sandbox %s: %w", sb.id, err)
		}
		e.sandboxes[sb.variant] = s
	}
	return nil
}

// sideSecrets are the secrets of the side sandboxes.
func (b *bench) sideSecrets() map[string]map[string]string {
	v := b.target.blobValues
	return map[string]map[string]string{
		"sandboxes/scrub": {"a": v[0], "b": v[1], "c": v[2]},
		"sandboxes/flood": {"token": b.target.Secret},
	}
}
