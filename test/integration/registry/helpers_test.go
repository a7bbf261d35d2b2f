// Package registry_test checks the TARS name service on Kubernetes against a
// real API server: Deployments and Services on simulated nodes become
// instances, readiness and scaling change the answer, node sites give the
// group, processes outside Kubernetes register through Leases, and several
// `outpost server` replicas answer alike.
package registry_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/internal/registry"
	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/tars/client"
	tarsregistry "github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
)

// The shared server collects expired registrations every 2s, so that the
// tests see Leases go without waiting the default 15s.
func TestMain(m *testing.M) {
	testenv.SharedArgs = []string{"--registry-collect-interval=2s"}
	testenv.Main(m)
}

// startBackend runs a Backend in the test process against srv's API server,
// as a server replica would, and waits until it has synced.
func startBackend(t testing.TB, srv *testenv.Server) *registry.Backend {
	t.Helper()
	b := registry.New(srv.Client(t), registry.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-b.Synced():
	case <-time.After(testenv.DefaultTimeout):
		t.Fatal("backend did not sync")
	}
	return b
}

// tarsServer creates a Deployment of replicas pods on the nodes labelled
// test=<selector> and a Service that makes them servant HelloObj of
// app.server on port 9000.
func tarsServer(t testing.TB, c kubernetes.Interface, ns, app, server, selector string, replicas int32) {
	t.Helper()
	labels := map[string]string{"app": strings.ToLower(app + "-" + server)}
	name := labels["app"]
	_, err := c.AppsV1().Deployments(ns).Create(t.Context(), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"test": selector},
					Containers: []corev1.Container{{Name: "server", Image: "example.invalid/hello:1",
						Ports: []corev1.ContainerPort{{Name: "hello", ContainerPort: 9000}}}},
				},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CoreV1().Services(ns).Create(t.Context(), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels:      map[string]string{registry.LabelApp: app, registry.LabelServer: server},
			Annotations: map[string]string{registry.AnnotationServants: "HelloObj=hello"}},
		Spec: corev1.ServiceSpec{
			Selector:  labels,
			ClusterIP: corev1.ClusterIPNone,
			Ports:     []corev1.ServicePort{{Name: "hello", Port: 9000, TargetPort: intstr.FromString("hello")}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func scale(t testing.TB, c kubernetes.Interface, ns, name string, n int) {
	t.Helper()
	_, err := c.AppsV1().Deployments(ns).Patch(t.Context(), name, "application/merge-patch+json",
		fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, n), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// instances summarises an answer as "host:port active group node" lines.
func instances(insts []tarsregistry.Instance) []string {
	var out []string
	for _, i := range insts {
		state := "active"
		if !i.Active {
			state = "inactive"
		}
		out = append(out, fmt.Sprintf("%s %s group=%s node=%s", i.Endpoint.Address(), state, i.Group, i.NodeName))
	}
	return out
}

// count returns the active and inactive instances.
func count(insts []tarsregistry.Instance) (active, inactive int) {
	for _, i := range insts {
		if i.Active {
			active++
		} else {
			inactive++
		}
	}
	return active, inactive
}

// recorder counts subscription callbacks per object.
type recorder struct {
	mu sync.Mutex
	n  map[string]int
}

func subscribe(t testing.TB, src tarsregistry.Source) *recorder {
	r := &recorder{n: map[string]int{}}
	t.Cleanup(src.Subscribe(func(obj string) { r.mu.Lock(); r.n[obj]++; r.mu.Unlock() }))
	return r
}

func (r *recorder) get(obj string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[obj]
}

// queryClient calls a server's QueryObj with Outpost's TARS client, as any
// TARS client configured with that locator would.
func queryClient(t testing.TB, addr string) *queryf.QueryFClient {
	t.Helper()
	c, err := client.New(proxyAt(t, tarsregistry.QueryObj, addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return queryf.NewQueryFClient(c)
}

func registerClient(t testing.TB, addr string) *queryf.RegisterClient {
	t.Helper()
	c, err := client.New(proxyAt(t, tarsregistry.RegisterObj, addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return queryf.NewRegisterClient(c)
}

// proxyAt is the proxy string of obj at addr ("host:port").
func proxyAt(t testing.TB, obj, addr string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s@tcp -h %s -p %s", obj, host, port)
}

// wire summarises a QueryF answer like instances does a Source's.
func wire(active, inactive []queryf.EndpointF) []string {
	var out []string
	for _, set := range []struct {
		eps   []queryf.EndpointF
		state string
	}{{active, "active"}, {inactive, "inactive"}} {
		for _, e := range set.eps {
			out = append(out, fmt.Sprintf("%s %s", net.JoinHostPort(e.Host, fmt.Sprint(e.Port)), set.state))
		}
	}
	slices.Sort(out)
	return out
}

// queryAll asks addr for every instance of obj (findObjectById4Any).
func queryAll(t testing.TB, q *queryf.QueryFClient, obj string) ([]string, error) {
	ret, active, inactive, err := q.FindObjectById4Any(t.Context(), obj)
	if err != nil {
		return nil, err
	}
	if ret != 0 {
		return nil, fmt.Errorf("findObjectById4Any(%s) returned %d", obj, ret)
	}
	return wire(active, inactive), nil
}
