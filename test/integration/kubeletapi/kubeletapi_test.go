// Package kubeletapi tests the simulated kubelet's API as users reach it:
// real kubectl logs, exec, attach and port-forward, through the real API
// server, on pods of simulated nodes.
package kubeletapi

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/pki"
	"github.com/outpost-edge/outpost/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	kubectl    = testenv.Kubectl
	runningPod = testenv.RunningPod
)

func wantLines(ns, pod, container string, from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "%s/%s %s: simulated log line %d\n", ns, pod, container, i)
	}
	return b.String()
}

// checkKubectl runs the user-facing checks on a pod of a simulated node.
func checkKubectl(t *testing.T, kubeconfig, ns, pod string) {
	kc := func(stdin string, args ...string) (string, int) {
		return kubectl(t, kubeconfig, stdin, append([]string{"-n", ns}, args...)...)
	}
	t.Run("logs", func(t *testing.T) {
		if out, code := kc("", "logs", pod, "-c", "app"); code != 0 || out != wantLines(ns, pod, "app", 1, 10) {
			t.Errorf("logs: exit %d\n%s", code, out)
		}
		if out, code := kc("", "logs", pod, "-c", "sidecar", "--tail=3"); code != 0 || out != wantLines(ns, pod, "sidecar", 8, 10) {
			t.Errorf("logs --tail=3: exit %d\n%s", code, out)
		}
		if out, code := kc("", "logs", pod, "-c", "app", "--limit-bytes=20"); code != 0 || out != wantLines(ns, pod, "app", 1, 1)[:20] {
			t.Errorf("logs --limit-bytes=20: exit %d\n%q", code, out)
		}
		out, code := kc("", "logs", pod, "-c", "app", "--timestamps", "--tail=1")
		if code != 0 || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z `+regexp.QuoteMeta(wantLines(ns, pod, "app", 10, 10))+"$").MatchString(out) {
			t.Errorf("logs --timestamps: exit %d\n%s", code, out)
		}
		if out, code := kc("", "logs", pod, "-c", "nope"); code == 0 || !strings.Contains(out, "nope") {
			t.Errorf("logs of an unknown container: exit %d\n%s", code, out)
		}
	})
	t.Run("logs-follow", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", kubeconfig, "-n", ns, "logs", "-f", pod, "-c", "app", "--tail=1")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); _ = cmd.Wait() }()
		r := bufio.NewReader(stdout)
		want := strings.Split(wantLines(ns, pod, "app", 10, 12), "\n")
		for _, w := range want[:3] {
			line, err := r.ReadString('\n')
			if err != nil || strings.TrimSuffix(line, "\n") != w {
				t.Fatalf("followed line %q (%v), want %q", line, err, w)
			}
		}
	})
	t.Run("exec", func(t *testing.T) {
		if out, code := kc("", "exec", pod, "-c", "app", "--", "echo", "hello", "edge"); code != 0 || out != "hello edge\n" {
			t.Errorf("exec echo: exit %d\n%s", code, out)
		}
		big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB through stdin and back
		if out, code := kc(big, "exec", "-i", pod, "-c", "app", "--", "cat"); code != 0 || out != big {
			t.Errorf("exec -i cat: exit %d, %d bytes back of %d", code, len(out), len(big))
		}
		if out, code := kc("", "exec", pod, "-c", "app", "--", "hostname"); code != 0 || out != pod+"\n" {
			t.Errorf("exec hostname: exit %d\n%s", code, out)
		}
		if out, code := kc("", "exec", pod, "-c", "app", "--", "env"); code != 0 || !strings.Contains(out, "GREETING=bonjour\n") {
			t.Errorf("exec env: exit %d\n%s", code, out)
		}
		if out, code := kc("", "exec", pod, "-c", "app", "--", "sh", "-c", "exit 3"); code != 3 {
			t.Errorf("exec exit 3: exit %d\n%s", code, out)
		}
		if out, code := kc("", "exec", pod, "-c", "app", "--", "frobnicate"); code != 127 || !strings.Contains(out, "frobnicate: command not found") {
			t.Errorf("exec of an unknown command: exit %d\n%s", code, out)
		}
	})
	t.Run("attach", func(t *testing.T) {
		if out, code := kc("ping\n", "attach", "-i", pod, "-c", "app", "-q"); code != 0 || !strings.Contains(out, "ping\n") {
			t.Errorf("attach -i: exit %d\n%s", code, out)
		}
	})
	t.Run("port-forward", func(t *testing.T) { checkPortForward(t, kubeconfig, ns, pod) })
}

// checkPortForward forwards a local port to the pod, whose ports echo.
func checkPortForward(t *testing.T, kubeconfig, ns, pod string) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", kubeconfig, "-n", ns, "port-forward", "pod/"+pod, ":8080", "--address", "127.0.0.1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := regexp.MustCompile(`Forwarding from (127\.0\.0\.1:\d+) -> 8080`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("port-forward said %q (%v)", line, err)
	}
	conn, err := net.Dial("tcp", m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte("through the port-forward\n")); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || got != "through the port-forward\n" {
		t.Fatalf("echo: %q, %v", got, err)
	}
}

// TestKubectlDirect: the API server dials the simulated kubelets itself
// (no egress selector).
func TestKubectlDirect(t *testing.T) {
	srv := testenv.StartServer(t, testenv.ServerOptions{Args: []string{"--apiserver-egress=false"}})
	checkSimulatedNode(t, srv, "direct")
}

// TestKubectlThroughEgress: the embedded API server reaches the kubelets
// through Outpost's egress proxy (its default), which dials them directly
// since they have no tunnel.
func TestKubectlThroughEgress(t *testing.T) {
	srv := testenv.Shared(t)
	checkSimulatedNode(t, srv, "egress")
}

func checkSimulatedNode(t *testing.T, srv *testenv.Server, prefix string) {
	client := srv.Client(t)
	ns := testenv.Namespace(t, client)
	testenv.StartSimulator(t, srv.Kubeconfig(), testenv.SimulatorOptions{Nodes: 2, NamePrefix: prefix})
	node := prefix + "-1"
	pod := runningPod(t, client, ns, "web", node)

	n, err := client.CoreV1().Nodes().Get(t.Context(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	port := n.Status.DaemonEndpoints.KubeletEndpoint.Port
	if pod.Status.HostIP != "127.0.0.1" || port == 0 {
		t.Fatalf("hostIP %s, kubelet port %d", pod.Status.HostIP, port)
	}
	checkKubectl(t, srv.Kubeconfig(), ns, pod.Name)
	t.Run("auth", func(t *testing.T) {
		checkKubeletAuth(t, srv.DataDir, fmt.Sprintf("127.0.0.1:%d", port))
	})
}

// TestEgressFailsFastForTunnelOnlyNode: a node that may be reached only
// through the tunnel (label outpost.io/egress=tunnel) and has none gets a
// quick, clear error from kubectl, not a hang.
func TestEgressFailsFastForTunnelOnlyNode(t *testing.T) {
	srv := testenv.Shared(t)
	client := srv.Client(t)
	ns := testenv.Namespace(t, client)
	testenv.StartSimulator(t, srv.Kubeconfig(), testenv.SimulatorOptions{
		Nodes: 1, NamePrefix: "edgeonly", Labels: map[string]string{"outpost.io/egress": "tunnel"}})
	pod := runningPod(t, client, ns, "web", "edgeonly-0")
	start := time.Now()
	out, code := kubectl(t, srv.Kubeconfig(), "", "-n", ns, "logs", pod.Name, "-c", "app")
	took := time.Since(start)
	if code == 0 || !strings.Contains(out, "edgeonly-0") || !strings.Contains(out, "tunnel") {
		t.Fatalf("kubectl logs: exit %d after %s\n%s", code, took, out)
	}
	t.Logf("kubectl logs failed after %s with: %s", took.Round(time.Millisecond), strings.TrimSpace(out))
	out, code = kubectl(t, srv.Kubeconfig(), "", "-n", ns, "exec", pod.Name, "-c", "app", "--", "echo", "hi")
	if code == 0 || !strings.Contains(out, "tunnel") {
		t.Fatalf("kubectl exec: exit %d\n%s", code, out)
	}
}

// checkKubeletAuth: the kubelet API refuses clients without a certificate
// of the cluster CA, and users that may not use nodes/proxy.
func checkKubeletAuth(t *testing.T, dataDir, addr string) {
	healthz := func(certs []tls.Certificate) (int, error) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			InsecureSkipVerify: true, // the simulated kubelet's serving certificate is self-signed, as a kubelet's default
			Certificates:       certs,
		}}}
		resp, err := c.Get("https://" + addr + "/healthz")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	if code, err := healthz(nil); err == nil {
		t.Errorf("no client certificate: got HTTP %d, want a refused handshake", code)
	}
	ca, err := pki.LoadOrCreateCA(filepath.Join(dataDir, "pki"), "ca", "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	issue := func(name string, org []string) tls.Certificate {
		crt, key := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		if err := ca.Issue(pki.Leaf{CommonName: name, Organization: org, Client: true}, crt, key); err != nil {
			t.Fatal(err)
		}
		c, err := tls.LoadX509KeyPair(crt, key)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if code, err := healthz([]tls.Certificate{issue("nobody", nil)}); err != nil || code != http.StatusForbidden {
		t.Errorf("unprivileged user: HTTP %d, %v; want 403", code, err)
	}
	if code, err := healthz([]tls.Certificate{issue("root", []string{"system:masters"})}); err != nil || code != http.StatusOK {
		t.Errorf("cluster admin: HTTP %d, %v; want 200", code, err)
	}
}

// TestKubectlThroughAttachedEgress follows the attach-mode documentation:
// an outpost server attached to an existing cluster serves the egress
// proxy over mutual TLS and writes egress-selector.yaml; the cluster's
// API server, restarted with it, reaches the kubelets through it.
func TestKubectlThroughAttachedEgress(t *testing.T) {
	cluster := testenv.StartServer(t, testenv.ServerOptions{Args: []string{"--apiserver-egress=false"}})
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	attached := testenv.StartServer(t, testenv.ServerOptions{Attach: cluster.Kubeconfig(),
		Args: []string{"--egress-listen", fmt.Sprintf("127.0.0.1:%d", port)}})
	selector := filepath.Join(attached.DataDir, "egress", "egress-selector.yaml")
	// Restart the cluster's API server with the file (the attached server
	// stops with it: an attached server exits when it loses its cluster).
	_ = attached.Stop()
	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	cluster.Args = append(cluster.Args, "--kube-apiserver-arg=--egress-selector-config-file="+selector)
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	if err := attached.Start(); err != nil {
		t.Fatal(err)
	}
	checkSimulatedNode(t, cluster, "attached")
	// The cluster's kubelet traffic went through the attached server: a
	// tunnel-only node fails there, with its reason.
	client := cluster.Client(t)
	ns := testenv.Namespace(t, client)
	testenv.StartSimulator(t, cluster.Kubeconfig(), testenv.SimulatorOptions{
		Nodes: 1, NamePrefix: "attached-edge", Labels: map[string]string{"outpost.io/egress": "tunnel"}})
	pod := runningPod(t, client, ns, "web", "attached-edge-0")
	out, code := kubectl(t, cluster.Kubeconfig(), "", "-n", ns, "logs", pod.Name, "-c", "app")
	if code == 0 || !strings.Contains(out, "attached-edge-0") || !strings.Contains(out, fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Fatalf("kubectl logs of a tunnel-only node: exit %d\n%s", code, out)
	}
}
