// Package simnodes_test checks simulated edge nodes against the embedded
// control plane: the scheduler places pods on them, the simulated kubelet
// runs them, and the node-lifecycle controller notices when they die.
package simnodes_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/internal/testenv"
)

func TestMain(m *testing.M) {
	// A short grace period so that a dead node is noticed in seconds, not
	// the upstream default of 50s.
	testenv.SharedArgs = []string{"--kube-controller-manager-arg=--node-monitor-grace-period=20s"}
	testenv.Main(m)
}

func TestDeploymentRunsOnSimulatedNodes(t *testing.T) {
	srv := testenv.Shared(t)
	client := srv.Client(t)
	ns := testenv.Namespace(t, client)
	testenv.StartSimulator(t, srv.Kubeconfig(), testenv.SimulatorOptions{
		Nodes: 3, NamePrefix: "deploy", Labels: map[string]string{"site": "lyon"},
	})

	nodes, err := client.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{LabelSelector: "site=lyon,outpost.io/simulated=true"})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 3 {
		t.Fatalf("got %d simulated nodes labelled site=lyon, want 3", len(nodes.Items))
	}
	for _, n := range nodes.Items {
		if !nodeReady(&n) {
			t.Errorf("node %s is not Ready: %+v", n.Name, n.Status.Conditions)
		}
	}

	labels := map[string]string{"app": "echo"}
	_, err = client.AppsV1().Deployments(ns).Create(t.Context(), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"site": "lyon"},
					Containers:   []corev1.Container{{Name: "echo", Image: "example.invalid/echo:1"}},
				},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	testenv.Eventually(t, testenv.DefaultTimeout, "3 running pods with IPs", func() error {
		return runningPods(t.Context(), client, ns, 3)
	})
	testenv.Eventually(t, testenv.DefaultTimeout, "deployment available", func() error {
		d, err := client.AppsV1().Deployments(ns).Get(t.Context(), "echo", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas != 3 {
			return fmt.Errorf("available replicas %d", d.Status.AvailableReplicas)
		}
		return nil
	})

	// Scaling down deletes pods; the simulated kubelet must finish the
	// deletion as a kubelet does, or they would hang in Terminating.
	_, err = client.AppsV1().Deployments(ns).Patch(t.Context(), "echo", "application/merge-patch+json",
		[]byte(`{"spec":{"replicas":1}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "scaled down to 1 pod", func() error {
		pods, err := client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(pods.Items) != 1 {
			return fmt.Errorf("%d pods left", len(pods.Items))
		}
		return nil
	})
}

func TestDeadSimulatedNodeBecomesNotReady(t *testing.T) {
	srv := testenv.Shared(t)
	client := srv.Client(t)
	sim := testenv.StartSimulator(t, srv.Kubeconfig(), testenv.SimulatorOptions{Nodes: 1, NamePrefix: "doomed"})
	node := "doomed-0"
	testenv.Eventually(t, testenv.DefaultTimeout, "node lease renewed", func() error {
		_, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(t.Context(), node, metav1.GetOptions{})
		return err
	})

	sim.Kill()
	killed := time.Now()
	testenv.Eventually(t, 3*time.Minute, "node-lifecycle controller marks the node not ready", func() error {
		n, err := client.CoreV1().Nodes().Get(t.Context(), node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if nodeReady(n) {
			return fmt.Errorf("still Ready")
		}
		return nil
	})
	t.Logf("node marked not ready %s after its kubelet died", time.Since(killed).Round(time.Second))
	testenv.Eventually(t, testenv.DefaultTimeout, "unreachable taint", func() error {
		n, err := client.CoreV1().Nodes().Get(t.Context(), node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, taint := range n.Spec.Taints {
			if taint.Key == corev1.TaintNodeUnreachable {
				return nil
			}
		}
		return fmt.Errorf("taints %v", n.Spec.Taints)
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func runningPods(ctx context.Context, client kubernetes.Interface, ns string, want int) error {
	pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	running := 0
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodRunning || p.Spec.NodeName == "" {
			continue
		}
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !netip.MustParsePrefix("100.64.0.0/10").Contains(ip) {
			return fmt.Errorf("pod %s has IP %q, want one from the simulated pod range", p.Name, p.Status.PodIP)
		}
		running++
	}
	if running != want {
		return fmt.Errorf("%d of %d pods running", running, len(pods.Items))
	}
	return nil
}
