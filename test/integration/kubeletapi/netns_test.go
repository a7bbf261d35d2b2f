package kubeletapi

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/outpost-edge/outpost/internal/testenv"
)

// TestKubectlThroughTunnel: a simulated kubelet on an edge node in its own
// network namespace, at an address only that namespace routes. The real
// API server reaches it for kubectl logs and exec through its egress
// selector, Outpost's egress proxy and the tunnel the agent dialled out;
// the link is cut (kubectl fails with the reason) and restored (it works
// again once the agent has reconnected).
func TestKubectlThroughTunnel(t *testing.T) {
	e := testenv.NewEdgeNS(t, "okub", 233)
	// The kubelet's address lives on the edge namespace's loopback device:
	// the cloud has no route to it, as to a node behind NAT.
	kubeletIP := strings.Replace(e.EdgeIP, "10.233.", "10.234.", 1)
	testenv.IP(t, "-n", e.Name, "addr", "add", kubeletIP+"/32", "dev", "lo")
	// Say so explicitly in the cloud namespace, whose default route might
	// otherwise lead to something that answers (a sandbox's proxy).
	unroutable := strings.TrimSuffix(kubeletIP, ".2") + ".0/24"
	testenv.IP(t, "route", "add", "unreachable", unroutable)
	t.Cleanup(func() { _ = exec.Command("ip", "route", "del", "unreachable", unroutable).Run() })
	srv := testenv.StartServer(t, testenv.ServerOptions{Args: []string{
		// The API server must be reachable from the edge namespace too.
		"--bind-address", "0.0.0.0", "--advertise-address", e.CloudIP, "--tls-san", e.CloudIP,
		"--tunnel-listen", "0.0.0.0:0", "--tunnel-advertise-host", e.CloudIP, "--tunnel-keepalive", "1s",
	}})
	kc := srv.Kubeconfig()
	// The edge's kubeconfig: the same credentials, the cloud's address on
	// the veth.
	edgeKC, err := clientcmd.LoadFromFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range edgeKC.Clusters {
		c.Server = "https://" + net.JoinHostPort(e.CloudIP, fmt.Sprint(srv.Port))
	}
	edgeKCFile := filepath.Join(t.TempDir(), "edge.kubeconfig")
	if err := clientcmd.WriteToFile(*edgeKC, edgeKCFile); err != nil {
		t.Fatal(err)
	}
	client := srv.Client(t)
	agents, _, caHash := srv.TunnelAddresses(t)
	_, port, _ := net.SplitHostPort(agents)
	bin, err := testenv.Binary()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	tokCmd := exec.Command(bin, "token", "create", "--ttl", "1h", "--kubeconfig", kc)
	tokCmd.Stderr = &stderr
	stdout, err := tokCmd.Output()
	if err != nil {
		t.Fatalf("token create: %v: %s", err, stderr.String())
	}
	tok := strings.TrimSpace(string(stdout))

	// One process on the edge: the simulated kubelet (node edge-0, with
	// the default route choice: the tunnel when its agent is connected, else
	// a bounded direct dial) and the tunnel agent.
	agent := e.Command(bin, "agent", "--simulate-kubelet", "--nodes", "1", "--node-name-prefix", "edge",
		"--kubeconfig", edgeKCFile,
		"--kubelet-address", kubeletIP, "--kubelet-port", "10250",
		"--tunnel-server", net.JoinHostPort(e.CloudIP, port), "--tunnel-token", tok, "--tunnel-ca-hash", caHash,
		"--node-name", "edge-0", "--data-dir", t.TempDir(), "--tunnel-allow", "10250",
		"--tunnel-keepalive", "1s", "--tunnel-max-backoff", "2s")
	var agentOut syncWriter
	agent.Stdout, agent.Stderr = &agentOut, &agentOut
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = agent.Process.Kill()
		_ = agent.Wait()
		if t.Failed() {
			t.Logf("edge agent output:\n%s", agentOut.String())
		}
	})
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(kubeletIP, "10250"), 2*time.Second); err == nil {
		c.Close()
		t.Fatal("the cloud reaches the edge kubelet directly; the test would prove nothing")
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "node edge-0 registered", func() error {
		_, err := client.CoreV1().Nodes().Get(t.Context(), "edge-0", metav1.GetOptions{})
		return err
	})
	ns := testenv.Namespace(t, client)
	pod := testenv.RunningPod(t, client, ns, "web", "edge-0")
	if pod.Status.HostIP != kubeletIP {
		t.Fatalf("hostIP %s, want %s", pod.Status.HostIP, kubeletIP)
	}
	kubectl := func(stdin string, args ...string) (string, int) {
		return testenv.Kubectl(t, kc, stdin, append([]string{"-n", ns}, args...)...)
	}
	logs := func() (string, int) { return kubectl("", "logs", "web", "-c", "app", "--tail=2") }
	wantLogs := fmt.Sprintf("%[1]s/web app: simulated log line 9\n%[1]s/web app: simulated log line 10\n", ns)
	works := func(what string) {
		t.Helper()
		testenv.Eventually(t, testenv.DefaultTimeout, what, func() error {
			if out, code := logs(); code != 0 || out != wantLogs {
				return fmt.Errorf("kubectl logs: exit %d: %s", code, out)
			}
			return nil
		})
		if out, code := kubectl("", "exec", "web", "-c", "app", "--", "echo", "through", "the", "tunnel"); code != 0 || out != "through the tunnel\n" {
			t.Fatalf("kubectl exec: exit %d\n%s", code, out)
		}
		big := strings.Repeat("edge", 256<<10) // 1 MiB in and out
		if out, code := kubectl(big, "exec", "-i", "web", "-c", "app", "--", "cat"); code != 0 || out != big {
			t.Fatalf("kubectl exec -i cat: exit %d, %d bytes back of %d", code, len(out), len(big))
		}
		if out, code := kubectl("", "exec", "web", "-c", "app", "--", "exit", "7"); code != 7 {
			t.Fatalf("kubectl exec exit 7: exit %d\n%s", code, out)
		}
	}
	works("kubectl logs through the tunnel")

	// Cut the link: once the server has dropped the agent's session,
	// kubectl fails at once, saying the node has no tunnel (and that the
	// direct dial found no route).
	e.SetLink(t, false)
	cut := time.Now()
	testenv.Eventually(t, time.Minute, "kubectl logs fails while the link is cut", func() error {
		start := time.Now()
		out, code := logs()
		if code == 0 || !strings.Contains(out, "no tunnel connected") {
			return fmt.Errorf("exit %d: %s", code, out)
		}
		t.Logf("%s after the cut, kubectl logs failed in %s: %s", time.Since(cut).Round(time.Millisecond),
			time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
		return nil
	})

	// Restore it: the agent reconnects and kubectl works again.
	e.SetLink(t, true)
	restored := time.Now()
	works("kubectl logs after the link is restored")
	t.Logf("kubectl logs and exec worked again %s after the link came back", time.Since(restored).Round(time.Millisecond))

	var node corev1.Node
	if n, err := client.CoreV1().Nodes().Get(t.Context(), "edge-0", metav1.GetOptions{}); err == nil {
		node = *n
	}
	if node.Status.DaemonEndpoints.KubeletEndpoint.Port != 10250 {
		t.Errorf("kubelet port %d", node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	}
}

// syncWriter collects a subprocess's output.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
