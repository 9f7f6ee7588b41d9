package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sandgate/sandgate/bench/internal/upstream"
)

// env is what every phase shares: the options, the scratch directory, the
// upstream (one for the run; each phase has a gateway of its own), the
// secret the gateways inject and the redactor that keeps it and every
// token out of what the run prints and writes.
type env struct {
	opts   *Options
	work   string
	ca     *upstream.CA
	caFile string
	up     *upstream.Server
	seen   *versionCounter
	secret string
	red    *redactor
	log    io.Writer
	start  time.Time

	mu    sync.Mutex
	phase string
}

// newEnv starts the upstream and prepares the scratch directory.
func newEnv(o *Options, log io.Writer) (*env, error) {
	work := o.Work
	if work == "" {
		d, err := os.MkdirTemp("", "sandgate-reliability-")
		if err != nil {
			return nil, err
		}
		work = d
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	e := &env{opts: o, work: work, secret: "rel-" + randHex(16), log: log, start: time.Now(),
		red: &redactor{}, seen: newVersionCounter()}
	e.red.add(e.secret)
	ca, err := upstream.NewCA("reliability upstream CA")
	if err != nil {
		return nil, err
	}
	e.ca, e.caFile = ca, filepath.Join(work, "upstream-ca.pem")
	if err := os.WriteFile(e.caFile, ca.PEM, 0o644); err != nil {
		return nil, err
	}
	if e.up, err = upstream.StartHandler(ca, e.seen.wrap(echoHandler())); err != nil {
		return nil, err
	}
	return e, nil
}

// close stops the upstream and removes a temporary scratch directory.
func (e *env) close() {
	e.up.Close()
	if e.opts.Work == "" {
		_ = os.RemoveAll(e.work)
	}
}

// setPhase names the phase progress lines belong to.
func (e *env) setPhase(name string) {
	e.mu.Lock()
	e.phase = name
	e.mu.Unlock()
}

// progress prints one line to the run's log (stderr), redacted.
func (e *env) progress(format string, args ...any) {
	e.mu.Lock()
	phase := e.phase
	e.mu.Unlock()
	line := fmt.Sprintf(format, args...)
	fmt.Fprintf(e.log, "reliability %6.1fs [%s] %s\n", time.Since(e.start).Seconds(), phase, e.red.clean(line))
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
