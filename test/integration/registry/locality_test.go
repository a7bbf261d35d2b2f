package registry_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/registry"
	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
)

// Set and site routing through `outpost server`'s QueryObj, from Kubernetes
// objects: a server with one Service per set answers findObjectByIdInSameSet
// with its set's pods only (and a pod's own set label overrides), and
// findObjectByIdInSameGroup prefers the caller's site, found from the
// caller's address, falling back elsewhere unless the servant is
// strict-local.
func TestSetsAndSitesOverQueryF(t *testing.T) {
	srv := testenv.Shared(t)
	c := srv.Client(t)
	ns := testenv.Namespace(t, c)
	// One simulator, so that its two nodes' pods have distinct addresses:
	// node 0 in Lyon, node 1 in Paris.
	testenv.StartSimulator(t, srv.Kubeconfig(), testenv.SimulatorOptions{Nodes: 2, NamePrefix: "reg-loc"})
	for i, site := range []string{"lyon", "paris"} {
		_, err := c.CoreV1().Nodes().Patch(t.Context(), fmt.Sprintf("reg-loc-%d", i), "application/merge-patch+json",
			fmt.Appendf(nil, `{"metadata":{"labels":{"test":"loc-%s",%q:%q}}}`, site, registry.LabelSite, site), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	addr := srv.RegistryAddress(t)
	q := queryClient(t, addr)
	const obj = "Loc.Hello.HelloObj"

	// One Deployment and Service per set, both for server Loc.Hello: set
	// loc.fr.1 in Lyon, set loc.fr.2 in Paris.
	for _, s := range []struct{ server, site, set string }{{"Lyon", "lyon", "loc.fr.1"}, {"Paris", "paris", "loc.fr.2"}} {
		tarsServer(t, c, ns, "Loc", s.server, "loc-"+s.site, 2)
		_, err := c.CoreV1().Services(ns).Patch(t.Context(), "loc-"+s.site, "application/merge-patch+json", fmt.Appendf(nil,
			`{"metadata":{"labels":{%q:"Hello"},"annotations":{%q:%q}}}`, registry.LabelServer, registry.AnnotationSet, s.set),
			metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	hostsIn := func(site string) []string {
		t.Helper()
		pods, err := c.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=loc-" + site})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range pods.Items {
			out = append(out, p.Status.PodIP+":9000 active")
		}
		slices.Sort(out)
		return out
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "4 instances of the two sets", func() error {
		got, err := queryAll(t, q, obj)
		if err != nil || len(got) != 4 {
			return fmt.Errorf("%v, %v", got, err)
		}
		return nil
	})
	lyon, paris := hostsIn("lyon"), hostsIn("paris")

	for set, want := range map[string][]string{"loc.fr.1": lyon, "loc.fr.2": paris} {
		_, active, inactive, err := q.FindObjectByIdInSameSet(t.Context(), obj, set)
		if got := wire(active, inactive); err != nil || !slices.Equal(got, want) {
			t.Errorf("set %s: %v, %v; want %v", set, got, err, want)
		}
	}

	// A pod's own set label overrides its Service's.
	pods, err := c.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=loc-lyon"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("lyon pods: %v", err)
	}
	moved := pods.Items[0]
	_, err = c.CoreV1().Pods(ns).Patch(t.Context(), moved.Name, "application/merge-patch+json",
		fmt.Appendf(nil, `{"metadata":{"labels":{%q:"loc.fr.9"}}}`, registry.LabelSet), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "the labelled pod alone in set loc.fr.9", func() error {
		_, active, inactive, err := q.FindObjectByIdInSameSet(t.Context(), obj, "loc.fr.9")
		if got, want := wire(active, inactive), []string{moved.Status.PodIP + ":9000 active"}; err != nil || !slices.Equal(got, want) {
			return fmt.Errorf("%v, %v; want %v", got, err, want)
		}
		return nil
	})

	// The test process calls from 127.0.0.1, which no pod or node has: a
	// process registered on that address at site paris makes it a Paris
	// caller (a registered process's declared group is its address's).
	reg := registerClient(t, addr)
	self := []queryf.Registration{{Id: "Loc.Caller.CallerObj", TtlMs: int32(time.Minute / time.Millisecond), Group: "paris",
		Ep: queryf.EndpointF{Host: "127.0.0.1", Port: 1, Istcp: 1}}}
	if _, err := reg.Register(t.Context(), self); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Deregister(context.Background(), self) })
	sameGroup := func(what string, want []string) {
		t.Helper()
		testenv.Eventually(t, testenv.DefaultTimeout, what, func() error {
			_, active, inactive, err := q.FindObjectByIdInSameGroup(t.Context(), obj)
			if got := wire(active, inactive); err != nil || !slices.Equal(got, want) {
				return fmt.Errorf("%v, %v; want %v", got, err, want)
			}
			return nil
		})
	}
	sameGroup("a Paris caller gets Paris instances", paris)

	// From a site with no instance, the caller falls back to all of them;
	// unless the servant is strict-local, when it gets none.
	self[0].Group = "marseille"
	if _, err := reg.Register(t.Context(), self); err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(lyon), paris...)
	slices.Sort(all)
	sameGroup("a Marseille caller falls back to every instance", all)
	for _, site := range []string{"lyon", "paris"} {
		_, err := c.CoreV1().Services(ns).Patch(t.Context(), "loc-"+site, "application/merge-patch+json",
			fmt.Appendf(nil, `{"metadata":{"annotations":{%q:"HelloObj"}}}`, registry.AnnotationStrictLocal), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	sameGroup("a Marseille caller of a strict-local servant gets nothing", nil)
}
