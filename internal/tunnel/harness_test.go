package tunnel_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/outpost-edge/outpost/internal/replica"
	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/internal/tunnel"
	"github.com/outpost-edge/outpost/internal/tunnel/agent"
	"github.com/outpost-edge/outpost/internal/tunnel/token"
)

// These tests run tunnel servers and agents in the test process, against
// the real API server of the shared `outpost server`, over real sockets.

func TestMain(m *testing.M) {
	if n, _ := strconv.Atoi(os.Getenv("OUTPOST_TUNNEL_BENCH_AGENTS")); n > 0 {
		os.Exit(runBenchAgents(n))
	}
	testenv.Main(m)
}

// runBenchAgents hosts n agents for BenchmarkFootprint, in a child process
// so that the server's memory is measured alone.
func runBenchAgents(n int) int {
	dir, err := os.MkdirTemp("", "outpost-bench-agents-")
	if err != nil {
		return 1
	}
	defer os.RemoveAll(dir)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		var once sync.Once
		a, err := agent.New(agent.Config{
			Servers: []string{os.Getenv("BENCH_SERVER")}, Token: os.Getenv("BENCH_TOKEN"), CAHash: os.Getenv("BENCH_HASH"),
			Node: fmt.Sprintf("edge-footprint-%d-%d", os.Getpid(), i), DataDir: fmt.Sprintf("%s/%d", dir, i),
			OnConnect: func(string) { once.Do(wg.Done) },
		}, quiet)
		if err != nil {
			return 1
		}
		go func() { _ = a.Run(context.Background()) }()
	}
	wg.Wait()
	fmt.Println("connected", n)
	select {}
}

var quiet = slog.New(slog.DiscardHandler)

func logger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return quiet
}

// replicaServer is one in-process tunnel server with its replica Lease.
type replicaServer struct {
	*tunnel.Server
	ID            string
	Agents, Proxy string
	stop          context.CancelFunc
	done          chan struct{}
}

func startReplica(t testing.TB, client kubernetes.Interface, id string) *replicaServer {
	t.Helper()
	r := startReplicaNoCleanup(t, client, id)
	t.Cleanup(r.Stop)
	return r
}

// startReplicaNoCleanup is for benchmarks, which share one replica across
// sub-benchmarks; the process exit ends it.
func startReplicaNoCleanup(t testing.TB, client kubernetes.Interface, id string) *replicaServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := tunnel.New(tunnel.Config{
		Listen: "127.0.0.1:0", ProxyListen: "127.0.0.1:0", AdvertiseHost: "127.0.0.1",
		ServerID: id, AllowedPorts: []int{0}, KeepAlive: time.Second,
	}, logger().With("replica", id))
	r := &replicaServer{Server: s, ID: id, stop: cancel, done: make(chan struct{})}
	hb := &replica.Heartbeat{Client: client, ID: id, LeaseDuration: 6 * time.Second, Log: quiet}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = hb.Run(ctx) }()
	go func() {
		defer wg.Done()
		if err := s.Run(ctx, client); err != nil && ctx.Err() == nil {
			t.Errorf("replica %s: %v", id, err)
		}
	}()
	go func() { wg.Wait(); close(r.done) }()
	a, p, err := s.Addrs(ctxTimeout(t, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	r.Agents, r.Proxy = a.String(), p.String()
	return r
}

// Stop stops the replica as a crash would look to its agents (connections
// closed) and to the others (its Lease gone).
func (r *replicaServer) Stop() {
	r.stop()
	<-r.done
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// connectedNode starts a replica and an agent for a new node named
// "edge-<what>-<random>" connected to it, for tests of one node.
func connectedNode(t *testing.T, client kubernetes.Interface, what string) (r *replicaServer, node string) {
	t.Helper()
	id := suffix()
	r = startReplica(t, client, "test-"+what+"-"+id)
	node = "edge-" + what + "-" + id
	connected, _ := startAgent(t, client, node, r.Agents)
	waitConnected(t, connected, "")
	return r, node
}

// startAgent joins node with a fresh token and keeps it connected to
// servers until the test ends.
func startAgent(t testing.TB, client kubernetes.Interface, node string, servers ...string) (connected <-chan string, dataDir string) {
	t.Helper()
	connected, dataDir, stop := runAgent(t, client, node, t.TempDir(), servers...)
	t.Cleanup(stop)
	return connected, dataDir
}

// startAgentNoCleanup is for benchmarks, like startReplicaNoCleanup.
func startAgentNoCleanup(t testing.TB, client kubernetes.Interface, node string, servers ...string) (<-chan string, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "outpost-bench-agent-")
	if err != nil {
		t.Fatal(err)
	}
	connected, dataDir, _ := runAgent(t, client, node, dir, servers...)
	return connected, dataDir
}

func runAgent(t testing.TB, client kubernetes.Interface, node, dataDir string, servers ...string) (connected <-chan string, _ string, stop func()) {
	t.Helper()
	tok, _, err := token.Create(ctxTimeout(t, time.Minute), client, time.Hour, "test "+node)
	if err != nil {
		t.Fatal(err)
	}
	caHash := tunnelCAHash(t, client)
	ch := make(chan string, 16)
	a, err := agent.New(agent.Config{
		Servers: servers, Token: tok, CAHash: caHash, Node: node, DataDir: dataDir,
		Allow: []string{"127.0.0.0/8:*"}, KeepAlive: time.Second, MaxBackoff: time.Second,
		OnConnect: func(s string) {
			select {
			case ch <- s:
			default:
			}
		},
	}, logger().With("agent", node))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	return ch, dataDir, func() { cancel(); <-done }
}

func tunnelCAHash(t testing.TB, client kubernetes.Interface) string {
	t.Helper()
	cm, err := client.CoreV1().ConfigMaps(tunnel.PublicNamespace).Get(ctxTimeout(t, time.Minute), tunnel.CAConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm.Data["ca-cert-hash"]
}

func tunnelCAPool(t testing.TB, client kubernetes.Interface) *x509.CertPool {
	t.Helper()
	cm, err := client.CoreV1().ConfigMaps(tunnel.PublicNamespace).Get(ctxTimeout(t, time.Minute), tunnel.CAConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	p.AppendCertsFromPEM([]byte(cm.Data["ca.crt"]))
	return p
}

func waitConnected(t testing.TB, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if want != "" && got != want {
			t.Fatalf("agent connected to %s, want %s", got, want)
		}
	case <-time.After(time.Minute):
		t.Fatal("agent did not connect within a minute")
	}
}

// sinkServer reads and discards until EOF, then answers the byte count.
func sinkServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	return ln.Addr().String()
}

func echo(t testing.TB, c net.Conn, msg string) string {
	t.Helper()
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	return string(buf)
}

type tls13 struct{ roots *x509.CertPool }

func (t *tls13) config() *tls.Config {
	return &tls.Config{RootCAs: t.roots, MinVersion: tls.VersionTLS12}
}

type syncBuf struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

// dialEventually dials until the server has registered the agent's session
// (the agent counts itself connected when it reads the server's 101, a
// moment before the server has set the session up).
func dialEventually(t testing.TB, r *replicaServer, node, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	testenv.Eventually(t, time.Minute, "dialling "+node, func() error {
		var err error
		c, err = r.DialNode(context.Background(), node, addr)
		return err
	})
	return c
}
