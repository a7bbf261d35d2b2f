package tunnel

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/outpost-edge/outpost/internal/testenv"
)

// The test binary doubles as the edge's services: run in the edge
// namespace with OUTPOST_TUNNEL_HELPER set, it serves a TCP echo or an SSH
// server on the namespace's loopback until killed.
const helperEnv = "OUTPOST_TUNNEL_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h, os.Getenv("HELPER_ADDR")))
	}
	testenv.Main(m)
}

func runHelper(kind, addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready", ln.Addr())
	switch kind {
	case "echo":
		for {
			c, err := ln.Accept()
			if err != nil {
				return 1
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	case "ssh":
		serveSSH(ln)
	}
	return 1
}

const sshPassword = "edge-secret"

// serveSSH is a real SSH server (golang.org/x/crypto/ssh): password
// authentication, session channels, "exec" answered with what it ran.
func serveSSH(ln net.Listener) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(key)
	cfg := &ssh.ServerConfig{PasswordCallback: func(c ssh.ConnMetadata, pass []byte) (*ssh.Permissions, error) {
		if c.User() == "root" && string(pass) == sshPassword {
			return nil, nil
		}
		return nil, fmt.Errorf("denied")
	}}
	cfg.AddHostKey(signer)
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			_, chans, reqs, err := ssh.NewServerConn(c, cfg)
			if err != nil {
				return
			}
			go ssh.DiscardRequests(reqs)
			for nc := range chans {
				if nc.ChannelType() != "session" {
					_ = nc.Reject(ssh.UnknownChannelType, "session only")
					continue
				}
				ch, reqs, _ := nc.Accept()
				go func() {
					for r := range reqs {
						if r.Type != "exec" {
							_ = r.Reply(false, nil)
							continue
						}
						_ = r.Reply(true, nil)
						cmd := string(r.Payload[4:])
						host, _ := os.Hostname()
						fmt.Fprintf(ch, "ran %q on %s\n", cmd, host)
						_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
						ch.Close()
					}
				}()
			}
		}()
	}
}

// startHelper runs a helper in the edge namespace.
func startHelper(t *testing.T, e *testenv.EdgeNS, kind, addr string) {
	t.Helper()
	cmd := e.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+kind, "HELPER_ADDR="+addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		t.Fatalf("helper %s: %q, %v", kind, line, err)
	}
}

// proc is a subprocess whose output is kept for assertions and failures.
type proc struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out bytes.Buffer
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func startProc(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd}
	cmd.Stdout, cmd.Stderr = p, p
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("output of %v:\n%s", cmd.Args, p.Output())
		}
	})
	return p
}

func outpost(t *testing.T) string {
	t.Helper()
	bin, err := testenv.Binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// run runs outpost with args and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, outpost(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// stdioConn is `outpost ssh --stdio` as a net.Conn: what ssh's
// ProxyCommand sees.
type stdioConn struct {
	io.Reader
	io.WriteCloser
	cmd *exec.Cmd

	closeOnce sync.Once
	closeErr  error
}

// Close stops the command once: the ssh client closes its transport from
// its own goroutine while the test closes the connection.
func (c *stdioConn) Close() error {
	c.closeOnce.Do(func() {
		c.WriteCloser.Close()
		_ = c.cmd.Process.Kill()
		c.closeErr = c.cmd.Wait()
	})
	return c.closeErr
}
func (c *stdioConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *stdioConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *stdioConn) SetDeadline(time.Time) error      { return nil }
func (c *stdioConn) SetReadDeadline(time.Time) error  { return nil }
func (c *stdioConn) SetWriteDeadline(time.Time) error { return nil }

func sshStdio(t *testing.T, kubeconfig, proxy, node string, port int, stderr io.Writer) *stdioConn {
	t.Helper()
	cmd := exec.Command(outpost(t), "ssh", "--stdio", "--kubeconfig", kubeconfig, "--proxy", proxy, "-p", fmt.Sprint(port), node)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &stdioConn{Reader: out, WriteCloser: in, cmd: cmd}
}

// echoOnce sends msg through `outpost ssh --stdio` and returns what came
// back, or the command's error output.
func echoOnce(t *testing.T, kubeconfig, proxy, node string, port int, msg string) (string, error) {
	t.Helper()
	var stderr syncBuf
	c := sshStdio(t, kubeconfig, proxy, node, port, &stderr)
	if _, err := io.WriteString(c, msg); err != nil {
		c.Close()
		return "", fmt.Errorf("write: %v: %s", err, stderr.String())
	}
	c.WriteCloser.Close() // EOF travels to the echo server, which then closes
	got, _ := io.ReadAll(c.Reader)
	err := c.cmd.Wait()
	if err != nil {
		return string(got), fmt.Errorf("%v: %s", err, stderr.String())
	}
	return string(got), nil
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sshRun runs cmd over a real SSH client connected through `outpost ssh
// --stdio`, as `ssh -o ProxyCommand=...` would.
func sshRun(t *testing.T, kubeconfig, proxy, node, cmd string) (string, error) {
	t.Helper()
	var stderr syncBuf
	c := sshStdio(t, kubeconfig, proxy, node, 22, &stderr)
	defer c.Close()
	sc, chans, reqs, err := ssh.NewClientConn(c, node, &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.Password(sshPassword)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second,
	})
	if err != nil {
		return "", fmt.Errorf("ssh handshake: %v: %s", err, stderr.String())
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return "", err
	}
	out, err := sess.Output(cmd)
	return string(out), err
}

func testenvCommand(t *testing.T, args ...string) *exec.Cmd {
	return exec.Command(outpost(t), args...)
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
