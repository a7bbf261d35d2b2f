package locator_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/examples/hello/hello"
	"github.com/outpost-edge/outpost/tars/locator"
	"github.com/outpost-edge/outpost/tars/registration"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/devserver"
	"github.com/outpost-edge/outpost/tars/server"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const obj = "Hello.HelloServer.GreeterObj"

// named answers with its own name, so that tests see who served a call.
type named string

func (n named) Greet(context.Context, string) (hello.Greeting, error) {
	return hello.Greeting{Text: string(n)}, nil
}

func startGreeter(t *testing.T, name string) *server.Server {
	t.Helper()
	srv := server.New(server.WithLogger(quiet))
	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 0")
	if err != nil {
		t.Fatal(err)
	}
	ad.Handle(obj, hello.NewGreeterDispatcher(named(name)))
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return srv
}

func instance(srv *server.Server) registry.Instance {
	return registry.Instance{Object: obj, Endpoint: srv.Adapters()[0].Endpoint(), Active: true}
}

func startRegistry(t *testing.T) *devserver.Server {
	t.Helper()
	d, err := devserver.Start(devserver.Config{Endpoint: "tcp -h 127.0.0.1 -p 0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func newResolver(t *testing.T, cfg locator.Config) *locator.Resolver {
	t.Helper()
	cfg.Logger = quiet
	r, err := locator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func newClient(t *testing.T, r client.Resolver) (*client.Client, *hello.GreeterClient) {
	t.Helper()
	c, err := client.New(obj, client.WithResolver(r), client.WithLogger(quiet), client.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, hello.NewGreeterClient(c)
}

// callUntil calls until every name in want has answered, failing on any
// error.
func callUntil(t *testing.T, g *hello.GreeterClient, want ...string) {
	t.Helper()
	seen := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := g.Greet(context.Background(), "x")
		if err != nil {
			t.Fatalf("call failed: %v", err)
		}
		seen[r.Text] = true
		all := true
		for _, w := range want {
			all = all && seen[w]
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("in 10 s, calls reached %v, want all of %v", seen, want)
		}
	}
}

func hasEndpoint(eps []endpoint.Endpoint, srv *server.Server) bool {
	want := registry.Key(srv.Adapters()[0].Endpoint())
	return slices.ContainsFunc(eps, func(e endpoint.Endpoint) bool { return registry.Key(e) == want })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in 10 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPushScaleAndOutage: a client resolves through the registry, a new
// server that registers itself is pushed to it, one that deregisters goes,
// the client keeps working while the registry is down, and a client
// created during the outage starts from the disk cache.
func TestPushScaleAndOutage(t *testing.T) {
	d := startRegistry(t)
	a, b := startGreeter(t, "a"), startGreeter(t, "b")
	d.Store.Set(instance(a))
	d.Store.Set(instance(b))
	cache := t.TempDir()
	// Polling once an hour: whatever arrives in the test came by push.
	r := newResolver(t, locator.Config{Locator: d.Locator(), CacheDir: cache, RefreshInterval: time.Hour})
	c, g := newClient(t, r)
	callUntil(t, g, "a", "b")

	// Scale up: c registers itself.
	cs := startGreeter(t, "c")
	reg, err := registration.Start(context.Background(), registration.Config{Locator: d.Locator(), TTL: 3 * time.Second, Logger: quiet},
		registration.ForServer(cs)...)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "new instance pushed", func() bool { return hasEndpoint(c.Endpoints(), cs) })
	callUntil(t, g, "a", "b", "c")

	// Graceful shutdown of c: deregistered first, calls never fail.
	cs.OnShutdown(func(ctx context.Context) {
		if err := reg.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cs.Shutdown(ctx)
	}()
	waitFor(t, "removed instance pushed", func() bool { return !hasEndpoint(c.Endpoints(), cs) })
	<-done
	callUntil(t, g, "a", "b")

	// Registry down: calls go on.
	d.Close()
	callUntil(t, g, "a", "b")

	// A new client during the outage: from the disk cache.
	r2 := newResolver(t, locator.Config{Locator: d.Locator(), CacheDir: cache, Timeout: 500 * time.Millisecond})
	c2, g2 := newClient(t, r2)
	if !hasEndpoint(c2.Endpoints(), a) || !hasEndpoint(c2.Endpoints(), b) || hasEndpoint(c2.Endpoints(), cs) {
		t.Fatalf("client from cache: %v", c2.Endpoints())
	}
	callUntil(t, g2, "a", "b")

	// Without a cache, the outage is an error.
	r3 := newResolver(t, locator.Config{Locator: d.Locator(), Timeout: 300 * time.Millisecond})
	if _, err := client.New(obj, client.WithResolver(r3), client.WithLogger(quiet)); err == nil {
		t.Fatal("resolved with the registry down and no cache")
	}
}

// TestPollingFallback: with push off, the TARS-style refresh finds a new
// instance.
func TestPollingFallback(t *testing.T) {
	d := startRegistry(t)
	a := startGreeter(t, "a")
	d.Store.Set(instance(a))
	r := newResolver(t, locator.Config{Locator: d.Locator(), NoPush: true, RefreshInterval: 50 * time.Millisecond})
	c, g := newClient(t, r)
	callUntil(t, g, "a")
	b := startGreeter(t, "b")
	d.Store.Set(instance(b))
	waitFor(t, "polled", func() bool { return hasEndpoint(c.Endpoints(), b) })
	callUntil(t, g, "a", "b")
	// An empty list is ignored, as in TARS: the client keeps its endpoints.
	d.Store.Remove(instance(a))
	d.Store.Remove(instance(b))
	time.Sleep(200 * time.Millisecond)
	if len(c.Endpoints()) != 2 {
		t.Fatalf("empty registry answer applied: %v", c.Endpoints())
	}
}

// TestResubscribeAfterRegistryRestart: the push subscription is renewed
// when the registry comes back on the same address.
func TestResubscribeAfterRegistryRestart(t *testing.T) {
	d := startRegistry(t)
	addr := d.Adapter.Endpoint()
	a := startGreeter(t, "a")
	d.Store.Set(instance(a))
	r := newResolver(t, locator.Config{Locator: d.Locator(), RefreshInterval: time.Hour})
	c, g := newClient(t, r)
	callUntil(t, g, "a")
	waitFor(t, "subscribed", func() bool { return d.Registry.Watchers() == 1 })
	d.Close()
	d2, err := devserver.Start(devserver.Config{Endpoint: addr.String(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	d2.Store.Set(instance(a))
	waitFor(t, "subscribed again", func() bool { return d2.Registry.Watchers() == 1 })
	b := startGreeter(t, "b")
	d2.Store.Set(instance(b))
	waitFor(t, "pushed after restart", func() bool { return hasEndpoint(c.Endpoints(), b) })
}

func startRegistryB(b *testing.B) *devserver.Server {
	b.Helper()
	d, err := devserver.Start(devserver.Config{Endpoint: "tcp -h 127.0.0.1 -p 0", Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.Close)
	return d
}

func dialB(b *testing.B, d *devserver.Server) *client.Client {
	b.Helper()
	c, err := client.New(registry.QueryObj+"@"+d.Adapter.Endpoint().String(), client.WithLogger(quiet))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// TestSetRouting: a resolver with a set id gets the set rules' answer, by
// query and by push.
func TestSetRouting(t *testing.T) {
	d := startRegistry(t)
	a, b := startGreeter(t, "a"), startGreeter(t, "b")
	ia, ib := instance(a), instance(b)
	ia.SetID, ib.SetID = "mtt.s.1", "mtt.s.2"
	d.Store.Set(ia)
	d.Store.Set(ib)
	r := newResolver(t, locator.Config{Locator: d.Locator(), SetID: "mtt.s.2", RefreshInterval: time.Hour})
	c, g := newClient(t, r)
	if eps := c.Endpoints(); len(eps) != 1 || !hasEndpoint(eps, b) {
		t.Fatalf("set mtt.s.2 resolved %v", eps)
	}
	callUntil(t, g, "b")
	// A second instance joins the caller's set group: pushed.
	b2 := startGreeter(t, "b2")
	ib2 := instance(b2)
	ib2.SetID = "mtt.s.2"
	d.Store.Set(ib2)
	waitFor(t, "set member pushed", func() bool { return hasEndpoint(c.Endpoints(), b2) })
	if hasEndpoint(c.Endpoints(), a) {
		t.Fatalf("another set group's instance reached the client: %v", c.Endpoints())
	}
}
