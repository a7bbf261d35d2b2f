package registry_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/examples/hello/hello"
	"github.com/outpost-edge/outpost/tars/locator"
	"github.com/outpost-edge/outpost/tars/registration"
	tarsregistry "github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/server"
)

// counter is a Greeter servant that counts its calls.
type counter struct{ n atomic.Int32 }

func (c *counter) Greet(_ context.Context, name string) (hello.Greeting, error) {
	return hello.Greeting{Text: "hello, " + name, Count: c.n.Add(1)}, nil
}

// greeterServer serves a Greeter as obj on a free local port.
func greeterServer(t *testing.T, obj string) (*counter, endpoint.Endpoint) {
	t.Helper()
	srv := server.New()
	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 0")
	if err != nil {
		t.Fatal(err)
	}
	g := new(counter)
	ad.Handle(obj, hello.NewGreeterDispatcher(g))
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return g, ad.Endpoint()
}

func locatorOf(t testing.TB, srv *testenv.Server) string {
	return proxyAt(t, tarsregistry.QueryObj, srv.RegistryAddress(t))
}

// End to end through `outpost server`: TARS servers register themselves
// (tars/registration), a client resolves the object name through the
// server's QueryObj with push updates (tars/locator) and calls them; a new
// instance receives calls as soon as its registration is pushed, and a
// deregistered one stops receiving them without a call failing.
func TestClientResolvesThroughServer(t *testing.T) {
	srv := testenv.Shared(t)
	loc := locatorOf(t, srv)
	const obj = "E2E.Greeter.GreeterObj"

	t0 := time.Now()
	g1, ep1 := greeterServer(t, obj)
	reg1, err := registration.Start(t.Context(), registration.Config{Locator: loc, TTL: 5 * time.Second, NodeName: "box-1"},
		registration.Item{Object: obj, Endpoint: ep1})
	if err != nil {
		t.Fatal(err)
	}
	defer reg1.Stop(context.Background())

	res, err := locator.New(locator.Config{Locator: loc})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	// The registration may not have reached this replica's informer when
	// the client first resolves; it then waits for the push.
	c, err := client.New(obj, client.WithResolver(res), client.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	gc := hello.NewGreeterClient(c)
	testenv.Eventually(t, testenv.DefaultTimeout, "a call through the registry", func() error {
		_, err := gc.Greet(t.Context(), "outpost")
		return err
	})

	t.Logf("first call through the registry after %s", time.Since(t0).Round(time.Millisecond))
	g2, ep2 := greeterServer(t, obj)
	start := time.Now()
	reg2, err := registration.Start(t.Context(), registration.Config{Locator: loc, TTL: 5 * time.Second, NodeName: "box-2"},
		registration.Item{Object: obj, Endpoint: ep2})
	if err != nil {
		t.Fatal(err)
	}
	defer reg2.Stop(context.Background())
	failed := 0
	call := func() {
		if _, err := gc.Greet(t.Context(), "outpost"); err != nil {
			failed++
			t.Errorf("call failed: %v", err)
		}
	}
	testenv.Eventually(t, testenv.DefaultTimeout, "the second instance called", func() error {
		call()
		if g2.n.Load() == 0 {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	t.Logf("new instance received calls %s after its registration returned", time.Since(start).Round(time.Millisecond))

	if err := reg1.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Once the deregistration is pushed, the first instance gets nothing.
	testenv.Eventually(t, testenv.DefaultTimeout, "the deregistered instance left alone", func() error {
		before := g1.n.Load()
		for range 10 {
			call()
		}
		if g1.n.Load() != before {
			return fmt.Errorf("still called")
		}
		return nil
	})
	t.Logf("deregistered instance left alone after %s", time.Since(t0).Round(time.Millisecond))
	if failed > 0 {
		t.Errorf("%d calls failed", failed)
	}
}
