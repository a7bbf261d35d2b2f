package simkubelet

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/outpost-edge/outpost/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// runFleet runs a fleet in this process (so the race detector sees it)
// against the shared real API server until the test ends.
func runFleet(t *testing.T, client kubernetes.Interface, cfg Config) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- Run(ctx, client, cfg, slog.New(slog.DiscardHandler), ready) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("fleet stopped: %v", err)
	case <-time.After(testenv.StartTimeout):
		t.Fatal("fleet not ready")
	}
	stop := func() { cancel(); <-done }
	t.Cleanup(func() { cancel() })
	return stop
}

func TestFleetRunsAndDeletesBoundPods(t *testing.T) {
	srv := testenv.Shared(t)
	client := srv.Client(t)
	ns := testenv.Namespace(t, client)
	cfg := Config{NamePrefix: "fleet", Count: 2, Labels: map[string]string{"site": "nantes"}}
	stop := runFleet(t, client, cfg)

	node, err := client.CoreV1().Nodes().Get(t.Context(), "fleet-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if node.Labels["site"] != "nantes" || node.Labels[LabelSimulated] != "true" {
		t.Errorf("labels = %v", node.Labels)
	}
	if node.Status.Allocatable.Pods().Value() != 110 {
		t.Errorf("allocatable pods = %v", node.Status.Allocatable.Pods())
	}

	// Pods bound directly to the nodes, as the scheduler would bind them.
	for i := range 6 {
		_, err := client.CoreV1().Pods(ns).Create(t.Context(), &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i)},
			Spec: corev1.PodSpec{
				NodeName:       fmt.Sprintf("fleet-%d", i%2),
				InitContainers: []corev1.Container{{Name: "init", Image: "example.invalid/init"}},
				Containers:     []corev1.Container{{Name: "main", Image: "example.invalid/main"}},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	ips := map[string]string{}
	testenv.Eventually(t, testenv.DefaultTimeout, "pods running", func() error {
		pods, err := client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		clear(ips)
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodRunning {
				return fmt.Errorf("%s is %s", p.Name, p.Status.Phase)
			}
			if owner, dup := ips[p.Status.PodIP]; dup {
				t.Fatalf("pods %s and %s share IP %s", owner, p.Name, p.Status.PodIP)
			}
			ips[p.Status.PodIP] = p.Name
			if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Running == nil {
				t.Fatalf("%s container statuses %+v", p.Name, p.Status.ContainerStatuses)
			}
			if len(p.Status.InitContainerStatuses) != 1 || p.Status.InitContainerStatuses[0].State.Terminated == nil {
				t.Fatalf("%s init container statuses %+v", p.Name, p.Status.InitContainerStatuses)
			}
		}
		return nil
	})

	// A restarted simulator keeps the pods and their IPs.
	stop()
	runFleet(t, client, cfg)
	p0, err := client.CoreV1().Pods(ns).Get(t.Context(), "p0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ips[p0.Status.PodIP] != "p0" {
		t.Errorf("p0's IP changed across a simulator restart to %s", p0.Status.PodIP)
	}

	// A graceful delete completes, as the kubelet completes it.
	if err := client.CoreV1().Pods(ns).Delete(t.Context(), "p0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "p0 deleted", func() error {
		_, err := client.CoreV1().Pods(ns).Get(t.Context(), "p0", metav1.GetOptions{})
		if err == nil {
			return fmt.Errorf("p0 still exists")
		}
		return nil
	})
}

func TestFleetLeasesAreRenewedAndOwnedByNodes(t *testing.T) {
	srv := testenv.Shared(t)
	client := srv.Client(t)
	runFleet(t, client, Config{NamePrefix: "leased", Count: 1, RenewInterval: time.Second})
	var first time.Time
	testenv.Eventually(t, testenv.DefaultTimeout, "lease renewed", func() error {
		l, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(t.Context(), "leased-0", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(l.OwnerReferences) != 1 || l.OwnerReferences[0].Kind != "Node" {
			t.Fatalf("lease owners = %+v", l.OwnerReferences)
		}
		if first.IsZero() {
			first = l.Spec.RenewTime.Time
		}
		if !l.Spec.RenewTime.After(first) {
			return fmt.Errorf("renewTime still %s", l.Spec.RenewTime)
		}
		return nil
	})
}
