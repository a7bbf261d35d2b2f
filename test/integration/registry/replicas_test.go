package registry_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/internal/registry"
	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
)

// Two `outpost server` replicas on one API server (the second attached)
// give the same answers: pods from the API, and a process registered
// through one replica is known to the other, since neither holds state.
func TestReplicasAnswerTheSame(t *testing.T) {
	srv := testenv.Shared(t)
	c := srv.Client(t)
	ns := testenv.Namespace(t, c)
	second := testenv.StartServer(t, testenv.ServerOptions{Attach: srv.Kubeconfig()})
	testenv.StartSimulator(t, srv.Kubeconfig(), testenv.SimulatorOptions{
		Nodes: 1, NamePrefix: "reg-replicas", Labels: map[string]string{"test": "replicas", registry.LabelSite: "lyon"},
	})
	qa, qb := queryClient(t, srv.RegistryAddress(t)), queryClient(t, second.RegistryAddress(t))
	const obj = "Replicas.Hello.HelloObj"

	tarsServer(t, c, ns, "Replicas", "Hello", "replicas", 2)
	r := queryf.Registration{Id: obj, TtlMs: int32(time.Minute / time.Millisecond),
		Ep: queryf.EndpointF{Host: "192.0.2.8", Port: 9000, Istcp: 1}}
	if ret, err := registerClient(t, second.RegistryAddress(t)).Register(t.Context(), []queryf.Registration{r}); err != nil || ret != 0 {
		t.Fatalf("register through the second replica: %d, %v", ret, err)
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "both replicas answer alike", func() error {
		a, err := queryAll(t, qa, obj)
		if err != nil {
			return err
		}
		b, err := queryAll(t, qb, obj)
		if err != nil {
			return err
		}
		if len(a) != 3 || !slices.Equal(a, b) {
			return fmt.Errorf("first replica %v, second %v; want the same 2 pods and 1 registration", a, b)
		}
		return nil
	})
	if ret, err := registerClient(t, srv.RegistryAddress(t)).Deregister(t.Context(), []queryf.Registration{r}); err != nil || ret != 0 {
		t.Fatalf("deregister through the first replica: %d, %v", ret, err)
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "the deregistration seen by both", func() error {
		for _, q := range []*queryf.QueryFClient{qa, qb} {
			if got, err := queryAll(t, q, obj); err != nil || len(got) != 2 {
				return fmt.Errorf("%v, %v", got, err)
			}
		}
		return nil
	})
}
