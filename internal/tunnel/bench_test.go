package tunnel_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/outpost-edge/outpost/internal/pki"
	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/internal/tunnel/token"
)

// Benchmarks of the tunnel against the same work done directly on loopback
// (plain TCP, and TLS 1.3 as the tunnel's own transport), side by side in
// one run. The tunnel path is DialNode on the replica holding the agent:
// TLS + yamux to the in-process agent, which dials the target on loopback.
//
//	go test ./internal/tunnel -run '^$' -bench . -benchtime 3x -count 5

type benchEnv struct {
	replica *replicaServer
	node    string
	tlsAddr string
	tlsCfg  *tls.Config
}

var (
	benchOnce sync.Once
	bench     benchEnv
)

func setupBench(b *testing.B) *benchEnv {
	benchOnce.Do(func() {
		client := fastClient(b)
		id := suffix()
		bench.replica = startReplicaNoCleanup(b, client, "bench-"+id)
		bench.node = "edge-bench-" + id
		connected, _ := startAgentNoCleanup(b, client, bench.node, bench.replica.Agents)
		waitConnected(b, connected, "")
		bench.tlsAddr, bench.tlsCfg = tlsSink(b)
	})
	return &bench
}

// countServer reads until EOF and answers the count (8 bytes).
func countServer(tb testing.TB, ln net.Listener) string {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				n, _ := io.Copy(io.Discard, c)
				_ = binary.Write(c, binary.BigEndian, n)
			}()
		}
	}()
	return ln.Addr().String()
}

var (
	countOnce sync.Once
	countAddr string
	echoOnce  sync.Once
	echoAddr  string
)

func plainCount(tb testing.TB) string {
	countOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		countAddr = countServer(tb, ln)
	})
	return countAddr
}

func plainEcho(tb testing.TB) string {
	echoOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		echoAddr = ln.Addr().String()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
			}
		}()
	})
	return echoAddr
}

// tlsSink is a count server behind TLS 1.3 with an ECDSA P-256 key, as the
// tunnel's listener has.
func tlsSink(tb testing.TB) (string, *tls.Config) {
	dir := tb.TempDir()
	ca, err := pki.LoadOrCreateCA(dir, "ca", "bench")
	if err != nil {
		tb.Fatal(err)
	}
	if err := ca.Issue(pki.Leaf{CommonName: "sink", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Server: true}, dir+"/s.crt", dir+"/s.key"); err != nil {
		tb.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(dir+"/s.crt", dir+"/s.key")
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	if err != nil {
		tb.Fatal(err)
	}
	return countServer(tb, ln), &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}
}

func BenchmarkThroughput(b *testing.B) {
	env := setupBench(b)
	target := plainCount(b)
	const chunk = 1 << 20
	const perOp = 64 // MiB per op
	buf := make([]byte, chunk)
	dials := map[string]func() (net.Conn, error){
		"direct-tcp": func() (net.Conn, error) { return net.Dial("tcp", target) },
		"direct-tls": func() (net.Conn, error) { return tls.Dial("tcp", env.tlsAddr, env.tlsCfg) },
		"tunnel":     func() (net.Conn, error) { return env.replica.DialNode(context.Background(), env.node, target) },
	}
	for _, name := range []string{"direct-tcp", "direct-tls", "tunnel"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(chunk * perOp)
			// CPU time of this process (client, tunnel server, agent and
			// sink all run in it) per byte: unlike MB/s it hardly moves
			// when other work on the machine takes the cores.
			cpu0 := cpuTime()
			for b.Loop() {
				c, err := dials[name]()
				if err != nil {
					b.Fatal(err)
				}
				for range perOp {
					if _, err := c.Write(buf); err != nil {
						b.Fatal(err)
					}
				}
				closeWrite(c)
				var n int64
				if err := binary.Read(c, binary.BigEndian, &n); err != nil || n != chunk*perOp {
					b.Fatalf("sink counted %d, %v", n, err)
				}
				c.Close()
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*chunk*perOp), "cpu-ns/B")
		})
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func closeWrite(c net.Conn) {
	switch c := c.(type) {
	case interface{ CloseWrite() error }:
		_ = c.CloseWrite()
	default:
		_ = c.Close() // a yamux stream: Close is a half-close
	}
}

// BenchmarkRoundTrip: a 64-byte request and its echo on an open stream;
// p50 and p99 per round trip are reported.
func BenchmarkRoundTrip(b *testing.B) {
	env := setupBench(b)
	target := plainEcho(b)
	for _, name := range []string{"direct-tcp", "tunnel"} {
		b.Run(name, func(b *testing.B) {
			var c net.Conn
			var err error
			if name == "tunnel" {
				c, err = env.replica.DialNode(context.Background(), env.node, target)
			} else {
				c, err = net.Dial("tcp", target)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			msg := make([]byte, 64)
			lat := make([]time.Duration, 0, 1<<16)
			for b.Loop() {
				t0 := time.Now()
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, msg); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
		})
	}
}

// BenchmarkConcurrentStreams: 1,000 streams opened at once, each echoing
// 4 KiB; one op is the whole batch.
func BenchmarkConcurrentStreams(b *testing.B) {
	env := setupBench(b)
	target := plainEcho(b)
	for _, name := range []string{"direct-tcp", "tunnel"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var wg sync.WaitGroup
				errs := make(chan error, 1000)
				for range 1000 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var c net.Conn
						var err error
						if name == "tunnel" {
							c, err = env.replica.DialNode(context.Background(), env.node, target)
						} else {
							c, err = net.Dial("tcp", target)
						}
						if err != nil {
							errs <- err
							return
						}
						defer c.Close()
						msg := make([]byte, 4096)
						if _, err := c.Write(msg); err != nil {
							errs <- err
							return
						}
						if _, err := io.ReadFull(c, msg); err != nil {
							errs <- err
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFootprint measures memory, not time: the server's heap per
// connected agent (agents in a child process, so only the server's side is
// counted), and the resident memory of a real `outpost agent` running only
// the tunnel, after 64 MiB passed through it.
func BenchmarkFootprint(b *testing.B) {
	env := setupBench(b)
	client := fastClient(b)
	tok, _, err := token.Create(context.Background(), client, time.Hour, "footprint")
	if err != nil {
		b.Fatal(err)
	}
	hash := tunnelCAHash(b, client)
	for b.Loop() {
		const n = 200
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "OUTPOST_TUNNEL_BENCH_AGENTS="+strconv.Itoa(n),
			"BENCH_SERVER="+env.replica.Agents, "BENCH_TOKEN="+tok, "BENCH_HASH="+hash)
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		line := make([]byte, 64)
		k, _ := out.Read(line)
		if !strings.HasPrefix(string(line[:k]), "connected") {
			b.Fatalf("agents: %q", line[:k])
		}
		testenv.Eventually(b, time.Minute, "all agents registered", func() error {
			if got := len(env.replica.Connected()); got < n+1 {
				return fmt.Errorf("%d connected", got)
			}
			return nil
		})
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/n/1024, "server-KiB/agent")
		b.ReportMetric(float64(int64(after.NumGC-before.NumGC)), "gc")
		bin, err := testenv.Binary()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(agentRSS(b, env, tok, hash, bin, "agent"), "agent-RSS-MiB")
		lean := b.TempDir() + "/leanagent"
		if out, err := exec.Command("go", "build", "-o", lean, "github.com/outpost-edge/outpost/internal/tunnel/agent/leanagent").CombinedOutput(); err != nil {
			b.Fatalf("building the lean agent: %v: %s", err, out)
		}
		b.ReportMetric(agentRSS(b, env, tok, hash, lean), "lean-agent-RSS-MiB")
	}
}

// agentRSS runs an agent (bin with the leading args), pushes 64 MiB
// through it and returns its VmRSS.
func agentRSS(b *testing.B, env *benchEnv, tok, hash, bin string, args ...string) float64 {
	node := "edge-rss-" + suffix()
	var err error
	cmd := exec.Command(bin, append(args, "--tunnel-server", env.replica.Agents, "--tunnel-token", tok,
		"--tunnel-ca-hash", hash, "--node-name", node, "--data-dir", b.TempDir(), "--tunnel-allow", "127.0.0.1:*")...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var c net.Conn
	testenv.Eventually(b, time.Minute, "the agent connected", func() error {
		c, err = env.replica.DialNode(context.Background(), node, plainCount(b))
		return err
	})
	buf := make([]byte, 1<<20)
	for range 64 {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	closeWrite(c)
	var n int64
	_ = binary.Read(c, binary.BigEndian, &n)
	c.Close()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// fastClient is not rate limited like client-go's default (5 QPS): the
// footprint benchmark joins hundreds of agents at once.
func fastClient(tb testing.TB) kubernetes.Interface {
	cfg := testenv.Shared(tb).RestConfig(tb)
	cfg.QPS, cfg.Burst = 500, 1000
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
