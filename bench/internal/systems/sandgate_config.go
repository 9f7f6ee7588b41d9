package systems

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// StartSandgateConfig starts the gateway on dir/sandgate.yaml, which the
// caller wrote (with listen addresses on port 0), and waits until it
// listens. Unlike StartSandgate it writes nothing: the caller chooses every
// key, for runs that need limits of their own.
func StartSandgateConfig(bin, dir string, timeout time.Duration) (*Sandgate, error) {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	token := "bench-admin-" + randHex(12)
	cmd := exec.Command(bin, "serve", "-config", filepath.Join(dir, "sandgate.yaml"))
	cmd.Env = append(os.Environ(), "SANDGATE_ADMIN_TOKEN="+token)
	lines := make(chan string, 16)
	p, err := start("sandgate", dir, cmd, lines)
	if err != nil {
		return nil, err
	}
	g := &Sandgate{Token: token, proc: p, opts: SandgateOptions{Bin: bin, Dir: dir}}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for g.Proxy == "" {
		select {
		case line := <-lines:
			if m := listenLine.FindStringSubmatch(line); m != nil {
				g.Proxy, g.Admin = m[1], "http://"+m[2]
			}
		case <-p.done:
			return nil, fmt.Errorf("sandgate exited at start:\n%s", p.tail())
		case <-deadline.C:
			p.stop()
			return nil, fmt.Errorf("sandgate did not start in %s:\n%s", timeout, p.tail())
		}
	}
	return g, nil
}

// Exited reports whether the gateway process has ended.
func (g *Sandgate) Exited() bool { return g.proc.exited() }

// ExitState describes how the process ended ("" while it runs), e.g.
// "signal: killed" or "exit status 2".
func (g *Sandgate) ExitState() string {
	if !g.proc.exited() {
		return ""
	}
	return g.proc.cmd.ProcessState.String()
}

// Kill ends the gateway at once with SIGKILL (a run's safety stop) and
// waits for it.
func (g *Sandgate) Kill() {
	if g.proc.exited() {
		return
	}
	_ = g.proc.cmd.Process.Signal(syscall.SIGKILL)
	<-g.proc.done
	g.proc.log.Close()
}
