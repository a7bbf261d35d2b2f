package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// StartTimeout bounds how long a server may take to become ready; generous,
// because the machines tests run on are shared and noisy.
const StartTimeout = 3 * time.Minute

// Server is an `outpost server` subprocess.
type Server struct {
	DataDir string
	Port    int
	Args    []string // extra command-line arguments it was started with
	// Attach is the kubeconfig of a cluster to attach to; empty embeds a
	// control plane.
	Attach string

	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error // exit status, valid after exited is closed
}

// ServerOptions tune StartServer.
type ServerOptions struct {
	// DataDir to use; default a new temporary directory.
	DataDir string
	// Port to listen on; default a free one.
	Port int
	// Args are extra `outpost server` arguments.
	Args []string
	// Attach is the kubeconfig of a cluster to attach to instead of
	// embedding a control plane.
	Attach string
}

// StartServer starts `outpost server` and waits until it is ready. It is
// stopped when the test ends.
func StartServer(tb testing.TB, opts ServerOptions) *Server {
	tb.Helper()
	s, err := startServer(opts, tb.TempDir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Stop() })
	return s
}

func startServer(opts ServerOptions, tempDir func() string) (*Server, error) {
	if opts.DataDir == "" {
		opts.DataDir = tempDir()
	}
	if opts.Port == 0 {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		opts.Port = port
	}
	s := &Server{DataDir: opts.DataDir, Port: opts.Port, Args: opts.Args, Attach: opts.Attach}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Start runs the server process (again, after Stop) and waits until ready.
func (s *Server) Start() error {
	if err := s.Launch(); err != nil {
		return err
	}
	return s.WaitReady()
}

// Launch starts the process without waiting for it to be ready.
func (s *Server) Launch() error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	args := append([]string{"server",
		"--data-dir", s.DataDir,
		"--bind-address", "127.0.0.1",
		"--https-listen-port", strconv.Itoa(s.Port),
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "0",
		// Servers run side by side in tests: the name service takes any
		// free port (RegistryAddress finds it) unless Args say otherwise.
		"--registry-bind-address", "127.0.0.1:0",
		// Likewise the tunnel (TunnelAddresses finds them).
		"--tunnel-listen", "127.0.0.1:0",
		"--tunnel-proxy-listen", "127.0.0.1:0",
	}, s.Args...)
	if s.Attach != "" {
		args = append(args, "--kubeconfig", s.Attach)
	}
	s.cmd = exec.Command(bin, args...)
	s.stderr = &syncBuffer{}
	s.cmd.Stderr = s.stderr
	s.cmd.Stdout = s.stderr
	s.exited = make(chan struct{})
	if err := s.cmd.Start(); err != nil {
		return err
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	return nil
}

// WaitReady waits until the server prints that it is running and its API
// answers /readyz, or fails with the server's log when it exits first.
func (s *Server) WaitReady() error {
	deadline := time.After(StartTimeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("outpost server exited before it was ready (%v):\n%s", s.err, s.Log())
		case <-deadline:
			return fmt.Errorf("outpost server not ready after %s:\n%s", StartTimeout, s.Log())
		case <-tick.C:
			if strings.Contains(s.stderr.String(), "Outpost is running") && s.readyz() == nil {
				return nil
			}
		}
	}
}

func (s *Server) readyz() error {
	cfg, err := s.restConfigErr()
	if err != nil {
		return err
	}
	cfg.Timeout = 2 * time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	_, err = client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
	return err
}

// Stop interrupts the server as Ctrl-C would and waits for it to exit.
// It returns the process's exit error, if any.
func (s *Server) Stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case <-s.exited:
		return s.err
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("outpost server did not stop within 30s after SIGINT")
	}
	return s.err
}

// Kill ends the server at once, as a crash would.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// Exited is closed when the process has ended; ExitErr then tells how.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// ExitErr is the process's exit status once Exited is closed.
func (s *Server) ExitErr() error { return s.err }

// Log is what the server printed, followed by the tail of the upstream
// components' log file.
func (s *Server) Log() string {
	out := s.stderr.String()
	if b, err := os.ReadFile(filepath.Join(s.DataDir, "logs", "kubernetes.log")); err == nil {
		const tail = 8000
		if len(b) > tail {
			b = b[len(b)-tail:]
		}
		out += "\n--- tail of logs/kubernetes.log ---\n" + string(b)
	}
	return out
}

// Kubeconfig is the admin kubeconfig path: the embedded control plane's, or
// the attached cluster's.
func (s *Server) Kubeconfig() string {
	if s.Attach != "" {
		return s.Attach
	}
	return filepath.Join(s.DataDir, "admin.kubeconfig")
}

// RestConfig is an admin client configuration.
func (s *Server) RestConfig(tb testing.TB) *rest.Config {
	tb.Helper()
	cfg, err := s.restConfigErr()
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

func (s *Server) restConfigErr() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig())
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg, nil
}

// Client is an admin clientset.
func (s *Server) Client(tb testing.TB) kubernetes.Interface {
	tb.Helper()
	c, err := kubernetes.NewForConfig(s.RestConfig(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// FreePort returns a TCP port on 127.0.0.1 that is free right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects a process's output for inspection while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// RegistryAddress is where the server's TARS name service listens, as it
// logged it; it waits for the log line.
func (s *Server) RegistryAddress(tb testing.TB) string {
	tb.Helper()
	re := regexp.MustCompile(`TARS registry listening.* address=(\S+)`)
	var addr string
	Eventually(tb, DefaultTimeout, "the TARS registry listening", func() error {
		m := re.FindStringSubmatch(s.Output())
		if m == nil {
			return errNotYet
		}
		addr = m[1]
		return nil
	})
	return addr
}

// Output is everything the server printed so far.
func (s *Server) Output() string { return s.stderr.String() }
