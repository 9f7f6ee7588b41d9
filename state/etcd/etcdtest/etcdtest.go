// Package etcdtest runs a real single-member etcd for tests and
// measurements: on free loopback ports, its data in a folder of its own.
// The binary is $SANDGATE_ETCD_BIN or etcd on the PATH (Debian's
// etcd-server package, which `make deps` installs); a missing binary
// fails the test with what to install, it never skips.
package etcdtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Bin returns the etcd binary to run, or an error saying how to get one.
func Bin() (string, error) {
	if p := os.Getenv("SANDGATE_ETCD_BIN"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("etcd"); err == nil {
		return p, nil
	}
	return "", errors.New("etcd is not installed: run `make deps` (apt-get install -y etcd-server) or set SANDGATE_ETCD_BIN")
}

// Options configure a Server; the zero value serves plain HTTP without
// auth.
type Options struct {
	// CertFile and KeyFile, if set, serve clients over TLS (the Endpoint is
	// https). ClientCAFile, if set, also requires client certificates
	// signed by it.
	CertFile, KeyFile, ClientCAFile string
	// ClientTLS is what the readiness check connects with, with TLS.
	ClientTLS *tls.Config
}

// Server is a running etcd.
type Server struct {
	// Endpoint is the client URL, http(s)://127.0.0.1:<port>.
	Endpoint string
	opts     Options
	dir      string
	bin      string
	client   int
	peer     int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start runs an etcd for the test and stops it when the test ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := NewWith(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// New runs an etcd whose data lives in dir.
func New(dir string) (*Server, error) { return NewWith(dir, Options{}) }

// NewWith is New with options.
func NewWith(dir string, o Options) (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin, opts: o}
	if s.client, err = freePort(); err != nil {
		return nil, err
	}
	if s.peer, err = freePort(); err != nil {
		return nil, err
	}
	scheme := "http"
	if o.CertFile != "" {
		scheme = "https"
	}
	s.Endpoint = scheme + "://127.0.0.1:" + strconv.Itoa(s.client)
	return s, s.Restart()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Restart starts the server again after Stop, on the same ports and data.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	peer := "http://127.0.0.1:" + strconv.Itoa(s.peer)
	cmd := exec.Command(s.bin, "--name", "test", "--data-dir", filepath.Join(s.dir, "data"),
		"--listen-client-urls", s.Endpoint, "--advertise-client-urls", s.Endpoint,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "test="+peer, "--log-level", "error")
	if o := s.opts; o.CertFile != "" {
		cmd.Args = append(cmd.Args, "--cert-file", o.CertFile, "--key-file", o.KeyFile)
		if o.ClientCAFile != "" {
			cmd.Args = append(cmd.Args, "--client-cert-auth", "--trusted-ca-file", o.ClientCAFile)
		}
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "etcd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("etcdtest: starting %s: %w", s.bin, err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); logf.Close(); close(exited) }(s.exited)
	return s.waitReady(30 * time.Second)
}

func (s *Server) waitReady(limit time.Duration) error {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint}, DialTimeout: time.Second,
		TLS: s.opts.ClientTLS, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer cli.Close()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "etcd.log"))
			return fmt.Errorf("etcdtest: etcd exited at start:\n%s", log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := cli.Get(ctx, "health")
		cancel()
		if err == nil || strings.Contains(err.Error(), "user name is empty") { // up, with auth on
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("etcdtest: etcd did not answer within %v", limit)
}

// Stop ends the server (SIGKILL): its clients see an outage.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Close stops the server for good.
func (s *Server) Close() { s.Stop() }

// Client returns a client of the server, closed with the test.
func (s *Server) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint}, DialTimeout: 2 * time.Second,
		TLS: s.opts.ClientTLS, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}
