package edgeproxy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

// kubeconfigVia writes a copy of the server's admin kubeconfig that
// reaches it at addr.
func kubeconfigVia(t testing.TB, srv *testenv.Server, addr string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(srv.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + addr
	}
	path := filepath.Join(t.TempDir(), "cloud.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func httpGet(url string) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestAgentKeepsSimulatedNodesPodsAcrossACut runs `outpost agent` with its
// proxy and simulated kubelets behind it, cuts the link to the cloud, and
// checks that the pods stay where they are and the nodes come back.
func TestAgentKeepsSimulatedNodesPodsAcrossACut(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	relay, err := faultrelay.Start(fmt.Sprintf("127.0.0.1:%d", srv.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	admin := freeAddr(t)
	pkiDir := filepath.Join(srv.DataDir, "pki")
	sim := testenv.StartSimulator(t, kubeconfigVia(t, srv, relay.Addr()), testenv.SimulatorOptions{
		Nodes: 2, NamePrefix: "edgecut", Labels: map[string]string{"site": "cut"},
		Args: []string{
			"--proxy-listen", freeAddr(t), "--proxy-admin-listen", admin, "--data-dir", t.TempDir(),
			"--proxy-front-proxy-cert", filepath.Join(pkiDir, "front-proxy-client.crt"),
			"--proxy-front-proxy-key", filepath.Join(pkiDir, "front-proxy-client.key"),
			"--proxy-probe-interval", "250ms", "--proxy-probe-timeout", "1s",
		},
	})

	labels := map[string]string{"app": "edgecut"}
	_, err = direct.AppsV1().Deployments(ns).Create(context.Background(), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "edgecut"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](4),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"site": "cut"},
					Containers:   []corev1.Container{{Name: "c", Image: "example.invalid/c:1"}},
				},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	running := func() (map[string]string, error) {
		pods, err := direct.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=edgecut"})
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
				return nil, fmt.Errorf("pod %s is %s", p.Name, p.Status.Phase)
			}
			out[string(p.UID)] = p.Spec.NodeName
		}
		if len(out) != 4 {
			return nil, fmt.Errorf("%d pods running", len(out))
		}
		return out, nil
	}
	var before map[string]string
	testenv.Eventually(t, 2*time.Minute, "pods running on the simulated nodes", func() (err error) {
		before, err = running()
		return err
	})

	relay.Refuse()
	testenv.Eventually(t, time.Minute, "agent offline", func() error {
		body, err := httpGet("http://" + admin + "/readyz")
		if err != nil || !strings.Contains(body, "cloud: offline") {
			return fmt.Errorf("readyz: %q %v", body, err)
		}
		return nil
	})
	// The cut outlasts a few lease renewals and the watches' move to
	// the cache, but not the controller manager's grace period, after
	// which the cloud would mark the nodes unreachable (a matter for
	// site-aware health, not for the proxy).
	time.Sleep(12 * time.Second)
	if strings.Contains(sim.Output(), "Error:") {
		t.Fatalf("agent failed while cut off:\n%s", sim.Output())
	}
	metrics, err := httpGet("http://" + admin + "/metrics")
	if err != nil || strings.Contains(metrics, "outpost_edgeproxy_watches_bridged_total 0") || !strings.Contains(metrics, "outpost_edgeproxy_upstream_up 0") {
		t.Errorf("agent metrics while cut off: no watch bridged, or upstream_up is not 0: %v", err)
	}
	if err := relay.Pass(); err != nil {
		t.Fatal(err)
	}

	testenv.Eventually(t, 2*time.Minute, "the same pods still running after the cut", func() error {
		after, err := running()
		if err != nil {
			return err
		}
		for uid, node := range before {
			if after[uid] != node {
				return fmt.Errorf("pod %s was on %s, now %q", uid, node, after[uid])
			}
		}
		return nil
	})
	testenv.Eventually(t, time.Minute, "nodes ready and renewed after the cut", func() error {
		for i := range 2 {
			name := fmt.Sprintf("edgecut-%d", i)
			lease, err := direct.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if time.Since(lease.Spec.RenewTime.Time) > 15*time.Second {
				return fmt.Errorf("lease of %s renewed %s ago", name, time.Since(lease.Spec.RenewTime.Time))
			}
		}
		return nil
	})
	if strings.Contains(sim.Output(), "panic") {
		t.Errorf("agent output:\n%s", sim.Output())
	}
}
