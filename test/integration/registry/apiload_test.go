package registry_test

import (
	"fmt"
	"maps"
	"net/http"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/outpost-edge/outpost/internal/registry"
	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/tars/endpoint"
	tarsregistry "github.com/outpost-edge/outpost/tars/registry"
)

// requestCounter counts a client's requests by kind: "list", "watch" or
// the HTTP method of anything else.
type requestCounter struct {
	mu sync.Mutex
	n  map[string]int
	rt http.RoundTripper
}

func (c *requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	kind := r.Method
	if r.Method == http.MethodGet {
		kind = "get"
		if r.URL.Query().Get("watch") == "true" {
			kind = "watch"
		} else if r.URL.Query().Has("resourceVersion") || r.URL.Query().Has("limit") {
			kind = "list"
		}
	}
	c.mu.Lock()
	c.n[kind]++
	c.mu.Unlock()
	return c.rt.RoundTrip(r)
}

func (c *requestCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// The registry watches and never polls: after its initial lists and
// watches, pods scaling, readiness flips and registrations reach it
// without one more read, and a registration heartbeat is one write.
func TestBackendWatchesNotPolls(t *testing.T) {
	srv := testenv.Shared(t)
	c := srv.Client(t)
	ns := testenv.Namespace(t, c)
	testenv.StartSimulator(t, srv.Kubeconfig(), testenv.SimulatorOptions{
		Nodes: 1, NamePrefix: "reg-load", Labels: map[string]string{"test": "load"}})

	counter := &requestCounter{n: map[string]int{}}
	cfg := srv.RestConfig(t)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { counter.rt = rt; return counter })
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := registry.New(client, registry.Options{})
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(t.Context()) }()
	t.Cleanup(func() { <-done })
	<-b.Synced()
	atSync := counter.snapshot()
	t.Logf("requests to sync: %v", atSync)

	const obj = "Load.Hello.HelloObj"
	tarsServer(t, c, ns, "Load", "Hello", "load", 2)
	await := func(what string, n int) {
		testenv.Eventually(t, testenv.DefaultTimeout, what, func() error {
			if a, _ := count(b.Instances(obj)); a != n {
				return fmt.Errorf("%d active", a)
			}
			return nil
		})
	}
	await("2 pods", 2)
	scale(t, c, ns, "load-hello", 4)
	await("4 pods", 4)
	setReady(t, c, ns, b.Instances(obj)[0].Endpoint.Host, false)
	await("3 ready pods", 3)
	inst := tarsregistry.Instance{Object: obj, Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "192.0.2.11", Port: 9000, Weight: -1}, Active: true}
	const heartbeats = 5
	for range heartbeats {
		if err := b.Register(t.Context(), inst, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	await("3 ready pods and the registration", 4)
	if err := b.Deregister(t.Context(), inst); err != nil {
		t.Fatal(err)
	}
	await("the registration gone", 3)
	time.Sleep(3 * time.Second) // idle: a poller would show here

	end := counter.snapshot()
	t.Logf("requests at the end: %v", end)
	for _, kind := range []string{"list", "watch", "get"} {
		if end[kind] != atSync[kind] {
			t.Errorf("%s requests went from %d at sync to %d", kind, atSync[kind], end[kind])
		}
	}
	if end["PATCH"]-atSync["PATCH"] != heartbeats || end["DELETE"]-atSync["DELETE"] != 1 {
		t.Errorf("writes: %v, want %d PATCH (one per heartbeat) and 1 DELETE", end, heartbeats)
	}
}
