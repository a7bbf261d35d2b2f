package registry_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/outpost-edge/outpost/internal/registry"
	"github.com/outpost-edge/outpost/internal/testenv"
	tarsregistry "github.com/outpost-edge/outpost/tars/registry"
)

// A Deployment behind a labelled Service is a TARS server: its ready pods
// are the active instances, and scaling, readiness, node sites and the
// Service's deletion all change the answer, in the backend and through
// `outpost server`'s QueryObj alike.
func TestPodsAreInstances(t *testing.T) {
	srv := testenv.Shared(t)
	c := srv.Client(t)
	ns := testenv.Namespace(t, c)
	testenv.StartSimulator(t, srv.Kubeconfig(), testenv.SimulatorOptions{
		Nodes: 2, NamePrefix: "reg-pods", Labels: map[string]string{"test": "pods", registry.LabelSite: "lyon"},
	})
	b := startBackend(t, srv)
	rec := subscribe(t, b)
	q := queryClient(t, srv.RegistryAddress(t))
	const obj = "Pods.Hello.HelloObj"

	tarsServer(t, c, ns, "Pods", "Hello", "pods", 2)
	want := func(what string, active, inactive int, check func() error) {
		t.Helper()
		testenv.Eventually(t, testenv.DefaultTimeout, what, func() error {
			insts := b.Instances(obj)
			if a, i := count(insts); a != active || i != inactive {
				return fmt.Errorf("%d active and %d inactive: %v", a, i, instances(insts))
			}
			if check != nil {
				return check()
			}
			return nil
		})
	}
	want("2 active instances", 2, 0, nil)
	for _, inst := range b.Instances(obj) {
		if inst.Endpoint.Port != 9000 || inst.Group != "lyon" || !strings.HasPrefix(inst.NodeName, "reg-pods-") {
			t.Errorf("instance %+v: want port 9000 on a reg-pods node at site lyon", inst)
		}
		// Each simulator hands out pod IPs from the same range, so a pod
		// of an earlier test whose namespace is still being deleted can
		// share this one's address until it is marked terminating: the
		// answer is "" (ambiguous) until then.
		testenv.Eventually(t, testenv.DefaultTimeout, "GroupOf(pod) is its node's site", func() error {
			if g := b.GroupOf(inst.Endpoint.Host); g != "lyon" {
				return fmt.Errorf("GroupOf(pod %s) = %q, want lyon", inst.Endpoint.Host, g)
			}
			return nil
		})
	}
	// (Simulated nodes all report 127.0.0.1 as their address, so GroupOf
	// of a node address is covered by the unit tests.)
	pods := podIPs(t, c, ns)
	if got := hosts(b.Instances(obj)); !slices.Equal(got, pods) {
		t.Errorf("instance hosts %v, pod IPs %v", got, pods)
	}

	before := rec.get(obj)
	scale(t, c, ns, "pods-hello", 3)
	want("3 active instances after scaling up", 3, 0, func() error {
		if rec.get(obj) == before {
			return fmt.Errorf("subscribers not told")
		}
		return nil
	})
	// The registry's QueryObj (another process, with its own informers)
	// gives the same instances.
	testenv.Eventually(t, testenv.DefaultTimeout, "QueryObj answers the same", func() error {
		got, err := queryAll(t, q, obj)
		if err != nil {
			return err
		}
		if exp := summary(b.Instances(obj)); !slices.Equal(got, exp) {
			return fmt.Errorf("QueryObj %v, backend %v", got, exp)
		}
		return nil
	})

	// A pod failing its readiness probe becomes an inactive instance.
	victim := b.Instances(obj)[0].Endpoint.Host
	setReady(t, c, ns, victim, false)
	want("the unready pod inactive", 2, 1, func() error {
		for _, i := range b.Instances(obj) {
			if i.Endpoint.Host == victim && i.Active {
				return fmt.Errorf("%s still active", victim)
			}
		}
		return nil
	})
	setReady(t, c, ns, victim, true)
	want("the pod active again", 3, 0, nil)

	// Moving a node to another site moves its instances' group.
	_, err := c.CoreV1().Nodes().Patch(t.Context(), "reg-pods-1", "application/merge-patch+json",
		[]byte(`{"metadata":{"labels":{"`+registry.LabelSite+`":"paris"}}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want("instances on reg-pods-1 at site paris", 3, 0, func() error {
		for _, i := range b.Instances(obj) {
			if site := map[string]string{"reg-pods-0": "lyon", "reg-pods-1": "paris"}[i.NodeName]; i.Group != site {
				return fmt.Errorf("%s on %s: group %q, want %q", i.Endpoint.Host, i.NodeName, i.Group, site)
			}
		}
		return nil
	})

	scale(t, c, ns, "pods-hello", 1)
	want("1 instance after scaling down", 1, 0, nil)

	if err := c.CoreV1().Services(ns).Delete(t.Context(), "pods-hello", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want("no instances once the Service is gone", 0, 0, nil)
}

func podIPs(t testing.TB, c kubernetes.Interface, ns string) []string {
	t.Helper()
	pods, err := c.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, p := range pods.Items {
		ips = append(ips, p.Status.PodIP)
	}
	slices.Sort(ips)
	return ips
}

func hosts(insts []tarsregistry.Instance) []string {
	var out []string
	for _, i := range insts {
		out = append(out, i.Endpoint.Host)
	}
	slices.Sort(out)
	return out
}

// summary formats instances as wire does a QueryF answer.
func summary(insts []tarsregistry.Instance) []string {
	var out []string
	for _, i := range insts {
		state := "active"
		if !i.Active {
			state = "inactive"
		}
		out = append(out, i.Endpoint.Address()+" "+state)
	}
	slices.Sort(out)
	return out
}

// setReady sets the Ready condition of the pod with address ip, as a
// kubelet does when a readiness probe starts failing or passes again.
func setReady(t testing.TB, c kubernetes.Interface, ns, ip string, ready bool) {
	t.Helper()
	pods, err := c.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Status.PodIP != ip {
			continue
		}
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		for i, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady || cond.Type == corev1.ContainersReady {
				p.Status.Conditions[i].Status = status
				p.Status.Conditions[i].LastTransitionTime = metav1.Now()
			}
		}
		for i := range p.Status.ContainerStatuses {
			p.Status.ContainerStatuses[i].Ready = ready
		}
		if _, err := c.CoreV1().Pods(ns).UpdateStatus(t.Context(), &p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no pod has IP %s", ip)
}
