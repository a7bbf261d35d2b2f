package egress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/outpost-edge/outpost/internal/testenv"
)

func node(name, ip string, port int32, route string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if route != "" {
		n.Labels = map[string]string{LabelEgress: route}
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = port
	return n
}

func startNodes(t testing.TB, nodes ...*corev1.Node) *Nodes {
	t.Helper()
	client := fake.NewClientset()
	for _, n := range nodes {
		if _, err := client.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := NewNodes(client)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go idx.Run(ctx)
	if err := idx.WaitSynced(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestNodesLookup(t *testing.T) {
	idx := startNodes(t,
		node("a", "10.0.0.1", 10250, ""),
		node("sim-0", "127.0.0.1", 20000, RouteTunnel),
		node("sim-1", "127.0.0.1", 20001, ""),
	)
	for _, c := range []struct {
		addr, node, route string
		ok                bool
	}{
		{"10.0.0.1:10250", "a", "", true},
		{"10.0.0.1:22", "a", "", true}, // any port of a node's own IP
		{"127.0.0.1:20000", "sim-0", RouteTunnel, true},
		{"127.0.0.1:20001", "sim-1", "", true},
		{"127.0.0.1:22", "", "", false}, // shared IP, unknown port: ambiguous
		{"a:10250", "a", "", true},      // by name
		{"10.9.9.9:443", "", "", false},
		{"garbage", "", "", false},
	} {
		n, r, ok := idx.Lookup(c.addr)
		if n != c.node || r != c.route || ok != c.ok {
			t.Errorf("Lookup(%s) = %q %q %v, want %q %q %v", c.addr, n, r, ok, c.node, c.route, c.ok)
		}
	}
}

// fakeTunnel stands in for the tunnel server: it knows some nodes.
type fakeTunnel struct{ connected map[string]bool }

var errNotConnected = errors.New("node has no tunnel connected")

func (f fakeTunnel) DialNode(ctx context.Context, node, addr string) (net.Conn, error) {
	if !f.connected[node] {
		return nil, fmt.Errorf("%w: %s", errNotConnected, node)
	}
	return Direct{}.DialNode(ctx, node, addr)
}

// connect sends CONNECT addr to the proxy and returns the status line and
// the connection.
func connect(t *testing.T, proxy, addr string) (string, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", addr)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK && br.Buffered() > 0 {
		b, _ := br.Peek(br.Buffered())
		t.Fatalf("%q after the response %s", b, resp.Status)
	}
	return resp.Status, c
}

func startServer(t testing.TB, nodes *Nodes, router *Router) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- (&Server{Nodes: nodes, Router: router, Log: slog.New(slog.DiscardHandler), DialTimeout: 2 * time.Second}).Serve(ctx, ln, nil)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return ln.Addr().String()
}

func TestServerRoutes(t *testing.T) {
	kubelet := testenv.EchoServer(t)
	host, port, _ := net.SplitHostPort(kubelet)
	var p int32
	fmt.Sscan(port, &p)
	// A blackhole address for nodes that are "behind NAT" (TEST-NET-1).
	nodes := startNodes(t,
		node("cloud", host, p, ""),
		node("edge", "192.0.2.1", 10250, ""),
		node("edge-only", "192.0.2.2", 10250, RouteTunnel),
		node("pinned", "192.0.2.3", 10250, RouteDirect),
	)
	router := &Router{
		Tunnel:          fakeTunnel{connected: map[string]bool{"edge": true}},
		NotConnected:    func(err error) bool { return errors.Is(err, errNotConnected) },
		FallbackTimeout: 300 * time.Millisecond,
		// The tunnel "reaches" edge nodes at the real kubelet.
		Direct: rewrite{to: kubelet, only: host},
	}
	proxy := startServer(t, nodes, router)

	roundTrip := func(c net.Conn) {
		t.Helper()
		if _, err := c.Write([]byte("ping\n")); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "ping\n" {
			t.Fatalf("echo %q, %v", line, err)
		}
	}
	// A cloud node: the tunnel says not connected, the direct dial works.
	status, c := connect(t, proxy, kubelet)
	if status != "200 Connection established" {
		t.Fatalf("cloud node: %s", status)
	}
	roundTrip(c)

	// Not a node at all: dialled directly.
	status, c = connect(t, proxy, "localhost:"+port)
	if status != "200 Connection established" {
		t.Fatalf("non-node address: %s", status)
	}
	roundTrip(c)

	// A tunnel-only node without a tunnel fails at once, saying why.
	start := time.Now()
	status, _ = connect(t, proxy, "192.0.2.2:10250")
	if !strings.HasPrefix(status, "502 ") || !strings.Contains(status, "edge-only") || !strings.Contains(status, "no tunnel") {
		t.Fatalf("tunnel-only node: %s", status)
	}
	t.Logf("tunnel-only node refused in %s: %s", time.Since(start), status)

	// A node pinned to direct never asks the tunnel.
	status, _ = connect(t, proxy, "192.0.2.3:10250")
	if !strings.HasPrefix(status, "502 ") || strings.Contains(status, "tunnel") {
		t.Fatalf("direct node: %s", status)
	}

	// Bad targets.
	for _, target := range []string{"nohost", "10.0.0.1:0", "10.0.0.1:http", ":80"} {
		if status, _ := connect(t, proxy, target); !strings.HasPrefix(status, "400 ") {
			t.Errorf("CONNECT %s: %s", target, status)
		}
	}
	// Anything but CONNECT.
	resp, err := http.Get("http://" + proxy + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %s", resp.Status)
	}
}

// rewrite is a Direct dialer that fails fast for TEST-NET addresses (as a
// NATed node's address would, only quicker) and dials others.
type rewrite struct{ to, only string }

func (r rewrite) DialNode(ctx context.Context, node, addr string) (net.Conn, error) {
	if strings.HasPrefix(addr, "192.0.2.") {
		<-ctx.Done() // a blackhole: only the timeout ends it
		return nil, fmt.Errorf("dial tcp %s: i/o timeout", addr)
	}
	return Direct{}.DialNode(ctx, node, addr)
}

func TestRouterAutoFallbackIsBounded(t *testing.T) {
	r := &Router{
		Tunnel:          fakeTunnel{},
		NotConnected:    func(err error) bool { return errors.Is(err, errNotConnected) },
		Direct:          rewrite{},
		FallbackTimeout: 200 * time.Millisecond,
	}
	_, err := r.DialNode(context.Background(), "edge", RouteAuto, "192.0.2.1:10250")
	if err == nil || !strings.Contains(err.Error(), "no tunnel connected") || !strings.Contains(err.Error(), "directly failed") {
		t.Fatalf("err = %v", err)
	}
	// A tunnel error that is not "not connected" is final.
	r.Tunnel = failingTunnel{}
	if _, err := r.DialNode(context.Background(), "edge", RouteAuto, "192.0.2.1:10250"); err == nil || !strings.Contains(err.Error(), "agent refused") {
		t.Fatalf("err = %v", err)
	}
	// Tunnel-only without a tunnel on this server.
	r.Tunnel = nil
	if _, err := r.DialNode(context.Background(), "edge", RouteTunnel, "192.0.2.1:10250"); err == nil || !strings.Contains(err.Error(), "runs no tunnel") {
		t.Fatalf("err = %v", err)
	}
}

type failingTunnel struct{}

func (failingTunnel) DialNode(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("agent refused: port not allowed")
}

func TestSelectorConfiguration(t *testing.T) {
	b, err := SelectorConfiguration(UDS("/run/outpost/egress.sock"))
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: apiserver.k8s.io/v1beta1
egressSelections:
- connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: /run/outpost/egress.sock
  name: cluster
kind: EgressSelectorConfiguration
`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}
