package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sandgate/sandgate/bench/internal/load"
	"github.com/sandgate/sandgate/bench/internal/systems"
)

// The shapes. keepalive and newconn load every system; the others load
// direct (where a figure is held against it) and sandgate with file
// secrets only.
const (
	shapeKeepAlive = "keepalive" // HTTP/1.1, -c connections reused
	shapeNewConn   = "newconn"   // HTTP/1.1, a new connection per request
	shapeH2x16     = "h2-16"     // HTTP/2, 16 streams on one connection
	shapeH2x100    = "h2-100"    // HTTP/2, 100 streams on one connection
	shapeWS        = "ws"        // WebSocket echo, -c connections
	shapeScrub     = "scrub"     // a 10 MB body with secret values, scrubbed and not
	shapeFair      = "fair"      // a paced sandbox, alone and beside a flood
)

// allShapes is every shape, in run order.
var allShapes = []string{shapeKeepAlive, shapeNewConn, shapeH2x16, shapeH2x100, shapeWS, shapeScrub, shapeFair}

// Settings of the newer shapes.
const (
	wsMsgSize    = 1024                  // bytes of a WebSocket message
	blobSize     = 10_000_000            // bytes of the scrub shape's body
	scrubConc    = 4                     // concurrent 10 MB downloads
	fairConc     = 4                     // the measured sandbox's connections...
	fairInterval = 10 * time.Millisecond // ...each sending a request every 10 ms
	floodConc    = 64                    // the flooding sandbox's connections, no pause
)

// Variants of the scrub and fair shapes.
const (
	variantSecrets = "secrets" // the handler reads three secrets: the response is scrubbed
	variantNone    = "none"    // the handler reads no secret
	variantIdle    = "idle"    // the gateway serves the measured sandbox alone
	variantFlood   = "flood"   // another sandbox floods it meanwhile
)

// leg is one load of a round: which system (as which sandbox) and how.
type leg struct {
	sys       *systems.System
	variant   string
	mode      string // loadgen -mode
	url       string
	conc      int
	keepAlive bool
	interval  time.Duration
	expect    string          // what a blob's values must come as (loadgen -expect)
	extra     []string        // more loadgen flags
	flood     *systems.System // the sandbox flooding the gateway meanwhile; nil: none
}

func checkShapes(shapes []string) error {
	for _, s := range shapes {
		if !slices.Contains(allShapes, s) {
			return fmt.Errorf("unknown shape %q (want some of %s)", s, strings.Join(allShapes, ","))
		}
	}
	return nil
}

// legs are the loads of each round of shape, in order.
func (b *bench) legs(e *env, shape string) []leg {
	var out []leg
	for _, s := range e.systems {
		out = append(out, b.legsOf(e, s, shape)...)
	}
	return out
}

func (b *bench) legsOf(e *env, s *systems.System, shape string) []leg {
	base := leg{sys: s, mode: load.ModeEcho, url: b.target.URL, conc: b.conc, keepAlive: true}
	newer := s.Key == "direct" || s.Key == "sandgate-file"
	switch {
	case shape == shapeKeepAlive:
		return []leg{base}
	case shape == shapeNewConn:
		base.keepAlive = false
		return []leg{base}
	case (shape == shapeH2x16 || shape == shapeH2x100) && newer:
		base.mode, base.url = load.ModeH2, b.target.H2URL
		base.conc, _ = strconv.Atoi(strings.TrimPrefix(shape, "h2-"))
		return []leg{base}
	case shape == shapeWS && newer:
		base.mode, base.url = load.ModeWS, b.target.WSURL
		base.extra = []string{"-msg-size", strconv.Itoa(wsMsgSize)}
		return []leg{base}
	case shape == shapeScrub && s.Key == "sandgate-file":
		expect := load.ExpectAny // each body whole, scrubbed or not, until scrubbing shows
		if b.scrubOn {
			expect = load.ExpectRedacted
		}
		blob := func(sys *systems.System, variant, expect string) leg {
			return leg{sys: sys, variant: variant, mode: load.ModeBlob, url: b.target.BlobURL, conc: scrubConc, keepAlive: true,
				expect: expect, extra: []string{"-blob-values", b.target.BlobValues, "-blob-size", strconv.Itoa(blobSize)}}
		}
		return []leg{blob(e.sandboxes[variantNone], variantNone, load.ExpectIntact), blob(e.sandboxes[variantSecrets], variantSecrets, expect)}
	case shape == shapeFair && s.Key == "sandgate-file":
		base.conc, base.interval = fairConc, fairInterval
		idle, flood := base, base
		idle.variant, flood.variant, flood.flood = variantIdle, variantFlood, e.sandboxes[variantFlood]
		return []leg{idle, flood}
	}
	return nil
}

// needsSandboxes says whether shapes load sandboxes beside the main one.
func needsSandboxes(shapes []string) bool {
	return slices.Contains(shapes, shapeScrub) || slices.Contains(shapes, shapeFair)
}
