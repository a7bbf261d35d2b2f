package registration

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/examples/hello/greeter"
	"github.com/outpost-edge/outpost/tars/examples/hello/hello"
	"github.com/outpost-edge/outpost/tars/registry/devserver"
	"github.com/outpost-edge/outpost/tars/server"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func setup(t *testing.T) (*devserver.Server, *server.Server) {
	t.Helper()
	d, err := devserver.Start(devserver.Config{Endpoint: "tcp -h 127.0.0.1 -p 0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	srv := server.New(server.WithLogger(quiet))
	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 0")
	if err != nil {
		t.Fatal(err)
	}
	ad.Handle("App.Srv.AObj", hello.NewGreeterDispatcher(new(greeter.Greeter)))
	ad.Handle("App.Srv.BObj", hello.NewGreeterDispatcher(new(greeter.Greeter)))
	if _, err := srv.ListenAdmin("tcp -h 127.0.0.1 -p 0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return d, srv
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHeartbeatAndShutdown: registered servants stay past their TTL while
// heartbeats run, and go at shutdown, before the server drains.
func TestHeartbeatAndShutdown(t *testing.T) {
	d, srv := setup(t)
	items := ForServer(srv)
	if len(items) != 2 {
		t.Fatalf("ForServer: %+v (admin servant excluded)", items)
	}
	r, err := Start(context.Background(), Config{Locator: d.Locator(), TTL: time.Second, Group: "gz", Logger: quiet}, items...)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // past the TTL: heartbeats keep it
	insts := d.Store.Instances("App.Srv.AObj")
	if len(insts) != 1 || insts[0].Group != "gz" || insts[0].Endpoint.Port != items[0].Endpoint.Port {
		t.Fatalf("after 2.5 TTLs: %+v", insts)
	}
	var left int
	srv.OnShutdown(func(ctx context.Context) {
		if err := r.Stop(ctx); err != nil {
			t.Error(err)
		}
		left = len(d.Store.Instances("App.Srv.AObj")) + len(d.Store.Instances("App.Srv.BObj"))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	if left != 0 {
		t.Fatalf("%d registrations left when the server started draining", left)
	}
}

// TestKilledProcessExpires: without heartbeats or deregistration (a
// killed process), registrations expire after the TTL.
func TestKilledProcessExpires(t *testing.T) {
	d, srv := setup(t)
	r, err := Start(context.Background(), Config{Locator: d.Locator(), TTL: time.Second, Logger: quiet}, ForServer(srv)...)
	if err != nil {
		t.Fatal(err)
	}
	// Die: heartbeats stop, no deregistration.
	r.stopOnce.Do(func() { close(r.stop); <-r.done; r.c.Close() })
	if n := len(d.Store.Instances("App.Srv.AObj")); n != 1 {
		t.Fatalf("%d instances right after the kill", n)
	}
	waitFor(t, "expiry", func() bool { return len(d.Store.Instances("App.Srv.AObj")) == 0 })
}

func TestStartErrors(t *testing.T) {
	ep := Item{Object: "A.B.C", Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "127.0.0.1", Port: 1}}
	if _, err := Start(context.Background(), Config{Locator: "tars.tarsregistry.QueryObj"}, ep); err == nil {
		t.Error("locator without endpoints accepted")
	}
	if _, err := Start(context.Background(), Config{Locator: "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 1"}); err == nil {
		t.Error("nothing to register accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := Start(ctx, Config{Locator: "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 1", Logger: quiet}, ep); err == nil {
		t.Error("unreachable registry: no error")
	}
}
