package tunnel_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/internal/tunnel"
	"github.com/outpost-edge/outpost/internal/tunnel/agent"
	"github.com/outpost-edge/outpost/internal/tunnel/token"
	"github.com/outpost-edge/outpost/internal/tunnel/wire"
)

func suffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestReplicas: DialNode on the replica holding the agent and on another
// (forwarded), its errors, and failover when the holder dies.
func TestReplicas(t *testing.T) {
	client := testenv.Shared(t).Client(t)
	id := suffix()
	a := startReplica(t, client, "test-a-"+id)
	b := startReplica(t, client, "test-b-"+id)
	node := "edge-rep-" + id
	connected, _ := startAgent(t, client, node, a.Agents, b.Agents)
	waitConnected(t, connected, a.Agents)
	target := testenv.EchoServer(t)
	ctx := ctxTimeout(t, 2*time.Minute)

	c := dialEventually(t, a, node, target)
	if got := echo(t, c, "local"); got != "local" {
		t.Fatalf("local: %q", got)
	}
	testenv.Eventually(t, time.Minute, "a dial forwarded from the other replica", func() error {
		c, err := b.DialNode(ctx, node, target)
		if err != nil {
			return err
		}
		if got := echo(t, c, "forwarded"); got != "forwarded" {
			return fmt.Errorf("echoed %q", got)
		}
		return nil
	})

	if _, err := b.DialNode(ctx, "no-such-node-"+id, target); !errors.Is(err, tunnel.ErrNodeNotConnected) {
		t.Errorf("unknown node: %v", err)
	}
	for _, r := range []*replicaServer{a, b} {
		var de *wire.DialError
		if _, err := r.DialNode(ctx, node, "10.255.255.1:80"); !errors.As(err, &de) || de.Code != wire.Refused {
			t.Errorf("%s: address outside the agent's allowlist: %v", r.ID, err)
		}
		if _, err := r.DialNode(ctx, node, "127.0.0.1:1"); !errors.As(err, &de) || de.Code != wire.DialFailed {
			t.Errorf("%s: closed port: %v", r.ID, err)
		}
	}

	// The holder dies: the agent reconnects to the other, which now
	// serves the node itself.
	a.Stop()
	waitConnected(t, connected, b.Agents)
	c = dialEventually(t, b, node, target)
	if got := echo(t, c, "after failover"); got != "after failover" {
		t.Fatalf("after failover: %q", got)
	}
}

// TestConcurrentStreams: a thousand streams at once over one agent
// connection, each echoing its own data.
func TestConcurrentStreams(t *testing.T) {
	client := testenv.Shared(t).Client(t)
	r, node := connectedNode(t, client, "many")
	target := testenv.EchoServer(t)
	ctx := ctxTimeout(t, 2*time.Minute)
	dialEventually(t, r, node, target).Close()
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := r.DialNode(ctx, node, target)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			msg := strings.Repeat(fmt.Sprintf("%04d", i), 256)
			if _, err := io.WriteString(c, msg); err != nil {
				errs <- err
				return
			}
			buf := make([]byte, len(msg))
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
				errs <- fmt.Errorf("stream %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestHTTPProxy: cloud-side HTTP clients reach a pod's address and a
// node's port through the proxy endpoint, authenticated with the admin
// kubeconfig's client certificate.
func TestHTTPProxy(t *testing.T) {
	srv := testenv.Shared(t)
	client := srv.Client(t)
	r, node := connectedNode(t, client, "http")

	// A pod on the edge node, whose IP is (for the test) on loopback.
	podIP := "127.77.0.1"
	ln, err := net.Listen("tcp", podIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			fmt.Fprintf(w, "pod says hi to %s", req.URL.Path)
		}))
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx := ctxTimeout(t, 2*time.Minute)
	ns := testenv.Namespace(t, client)
	pod, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "web", Image: "web"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: podIP, PodIPs: []corev1.PodIP{{IP: podIP}}}
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	tlsCfg, err := rest.TLSConfigFor(srv.RestConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg.RootCAs = tunnelCAPool(t, client)
	tlsCfg.ServerName = ""
	proxyURL := &url.URL{Scheme: "https", Host: r.Proxy}
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: tlsCfg}, Timeout: 30 * time.Second}
	get := func(u string) (string, error) {
		resp, err := hc.Get(u)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("%s: %s", resp.Status, b)
		}
		return string(b), nil
	}
	testenv.Eventually(t, time.Minute, "GET the pod's address", func() error {
		got, err := get("http://" + net.JoinHostPort(podIP, port) + "/pod")
		if err == nil && got != "pod says hi to /pod" {
			err = fmt.Errorf("got %q", got)
		}
		return err
	})
	// Without credentials the proxy asks for them.
	anon := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: (&tls13{tlsCfg.RootCAs}).config()}, Timeout: 30 * time.Second}
	resp, err := anon.Get("http://" + net.JoinHostPort(podIP, port) + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("anonymous: %s", resp.Status)
	}
}

// TestRevocation: deleting the Node revokes its certificate: the session
// is closed and the agent, which has no token left, cannot come back.
func TestRevocation(t *testing.T) {
	client := testenv.Shared(t).Client(t)
	id := suffix()
	r := startReplica(t, client, "test-r-"+id)
	node := "edge-del-" + id
	ctx := ctxTimeout(t, 2*time.Minute)
	if _, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := token.Create(ctx, client, time.Hour, "revocation")
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	cfg := agent.Config{Servers: []string{r.Agents}, Token: tok, CAHash: tunnelCAHash(t, client), Node: node, DataDir: dataDir,
		Allow: []string{"*"}, KeepAlive: time.Second, MaxBackoff: 300 * time.Millisecond}
	joiner, _ := agent.New(cfg, quiet)
	if err := joiner.Join(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.Token = "" // the token is not left on the node
	var logs syncBuf
	connected := make(chan string, 16)
	cfg.OnConnect = func(s string) { connected <- s }
	ag, _ := agent.New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = ag.Run(actx) }()
	defer func() { cancel(); <-done }()
	waitConnected(t, connected, "")
	target := testenv.EchoServer(t)
	dialEventually(t, r, node, target).Close()

	if err := client.CoreV1().Nodes().Delete(ctx, node, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Minute, "the node to be cut off", func() error {
		if c, err := r.DialNode(ctx, node, target); err == nil {
			c.Close()
			return errors.New("still reachable")
		}
		return nil
	})
	testenv.Eventually(t, time.Minute, "the agent to say why", func() error {
		if !strings.Contains(logs.String(), "join refused") || !strings.Contains(logs.String(), "revoked") {
			return errors.New("agent log: " + logs.String())
		}
		return nil
	})
}
