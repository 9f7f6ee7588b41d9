package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sandgate/sandgate/bench/internal/systems"
)

// profileRound runs one more round of l (not counted in the results) while
// taking a CPU profile of its system: from the admin API's
// /debug/pprof/profile when the gateway has it (written to
// dir/cpu<suffix>.pprof), otherwise with `perf record`
// (dir/perf<suffix>.data). It returns the file and which kind it is.
func (b *bench) profileRound(ctx context.Context, l leg, shape, dir, suffix string) (file, kind string, err error) {
	seconds := max(1, int((b.duration-time.Second)/time.Second))
	type got struct {
		file, kind string
		err        error
	}
	done := make(chan got, 1)
	go func() {
		select {
		case <-time.After(b.warmup + 500*time.Millisecond):
		case <-ctx.Done():
			done <- got{err: ctx.Err()}
			return
		}
		f, k, err := takeProfile(ctx, l.sys, dir, suffix, seconds)
		done <- got{f, k, err}
	}()
	r := b.runRound(ctx, l, shape, 0)
	logRound(r)
	g := <-done
	return g.file, g.kind, g.err
}

func takeProfile(ctx context.Context, sys *systems.System, dir, suffix string, seconds int) (string, string, error) {
	if sys.Admin != "" {
		file := filepath.Join(dir, "cpu"+suffix+".pprof")
		err := fetchPprof(ctx, sys, seconds, file)
		if err == nil {
			return file, "pprof", nil
		}
		fmt.Fprintln(os.Stderr, "compare: no pprof from the admin API, trying perf:", err)
	}
	perf, err := exec.LookPath("perf")
	if err != nil {
		return "", "", fmt.Errorf("no /debug/pprof on the admin API and no perf: %w", err)
	}
	file := filepath.Join(dir, "perf"+suffix+".data")
	out, err := exec.CommandContext(ctx, perf, "record", "-F", "997", "-g", "-p", strconv.Itoa(sys.PID), "-o", file,
		"--", "sleep", strconv.Itoa(seconds)).CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("perf record: %w: %s", err, out)
	}
	return file, "perf", nil
}

func fetchPprof(ctx context.Context, sys *systems.System, seconds int, file string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+15)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", sys.Admin+"/debug/pprof/profile?seconds="+strconv.Itoa(seconds), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+sys.AdminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/profile: status %d", res.StatusCode)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
