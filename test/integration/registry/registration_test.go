package registry_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/registry"
	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
)

// A process outside Kubernetes registers through the server's RegisterObj:
// the registration is a Lease that every replica sees, it leaves the
// answers when its TTL passes without a heartbeat (and the Lease is then
// collected), and a deregistration removes it at once.
func TestRegistrationLifecycle(t *testing.T) {
	srv := testenv.Shared(t)
	c := srv.Client(t)
	addr := srv.RegistryAddress(t)
	reg := registerClient(t, addr)
	q := queryClient(t, addr)
	b := startBackend(t, srv)
	rec := subscribe(t, b)
	const obj = "Edge.Sensor.ReadingObj"
	const ttl = 3 * time.Second
	r := queryf.Registration{Id: obj, TtlMs: int32(ttl / time.Millisecond), Group: "box-7",
		Ep: queryf.EndpointF{Host: "192.0.2.7", Port: 7000, Istcp: 1, Timeout: 3000, NodeName: "laptop"}}

	registered := time.Now()
	if ret, err := reg.Register(t.Context(), []queryf.Registration{r}); err != nil || ret != 0 {
		t.Fatalf("register: %d, %v", ret, err)
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "the registration in the backend", func() error {
		insts := b.Instances(obj)
		if len(insts) != 1 {
			return fmt.Errorf("instances %v", instances(insts))
		}
		i := insts[0]
		if i.Endpoint.Address() != "192.0.2.7:7000" || !i.Active || i.Group != "box-7" || i.NodeName != "laptop" || i.Endpoint.Timeout != 3000 {
			return fmt.Errorf("instance %+v", i)
		}
		return nil
	})
	if b.GroupOf("192.0.2.7") != "box-7" {
		t.Errorf("GroupOf(registered host) = %q, want box-7", b.GroupOf("192.0.2.7"))
	}
	leases, err := c.CoordinationV1().Leases(metav1.NamespaceSystem).List(t.Context(), metav1.ListOptions{LabelSelector: registry.LabelApp + "=Edge"})
	if err != nil || len(leases.Items) != 1 {
		t.Fatalf("registration Leases: %v, %v", leases, err)
	}
	lease := leases.Items[0].Name
	if got, err := queryAll(t, q, obj); err != nil || !slices.Equal(got, []string{"192.0.2.7:7000 active"}) {
		t.Errorf("QueryObj answers %v, %v", got, err)
	}

	// No heartbeat: gone once the TTL has passed, not before.
	testenv.Eventually(t, testenv.DefaultTimeout, "the registration expired", func() error {
		if n := len(b.Instances(obj)); n != 0 {
			return fmt.Errorf("%d instances", n)
		}
		return nil
	})
	if early := time.Since(registered); early < ttl-time.Second {
		t.Errorf("registration expired %s after registering, TTL %s", early, ttl)
	}
	if rec.get(obj) < 2 {
		t.Errorf("subscribers told %d times, want at registration and at expiry", rec.get(obj))
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "the expired Lease collected", func() error {
		_, err := c.CoordinationV1().Leases(metav1.NamespaceSystem).Get(t.Context(), lease, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("lease still there (%v)", err)
	})

	// Heartbeats keep it; a deregistration ends it.
	if _, err := reg.Register(t.Context(), []queryf.Registration{r}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "registered again", func() error {
		if n := len(b.Instances(obj)); n != 1 {
			return fmt.Errorf("%d instances", n)
		}
		return nil
	})
	for range 3 {
		time.Sleep(ttl / 2)
		if _, err := reg.Register(t.Context(), []queryf.Registration{r}); err != nil {
			t.Fatal(err)
		}
		if n := len(b.Instances(obj)); n != 1 {
			t.Fatalf("a heartbeating registration dropped out: %d instances", n)
		}
	}
	if ret, err := reg.Deregister(t.Context(), []queryf.Registration{r}); err != nil || ret != 0 {
		t.Fatalf("deregister: %d, %v", ret, err)
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "deregistered", func() error {
		if n := len(b.Instances(obj)); n != 0 {
			return fmt.Errorf("%d instances", n)
		}
		return nil
	})
	if _, err := c.CoordinationV1().Leases(metav1.NamespaceSystem).Get(t.Context(), lease, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Lease after deregistration: %v", err)
	}
}
