//go:build !race

package rpc_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/TarsCloud/TarsGo/tars"

	Interop "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/devserver"
)

// outpostRegistry runs Outpost's registry (memory backend) and lists the
// Outpost interop server under obj.
func outpostRegistry(t *testing.T, setID string) *devserver.Server {
	t.Helper()
	d, err := devserver.Start(devserver.Config{Endpoint: "tcp -h 127.0.0.1 -p 0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	s, _ := outpostServer(t)
	ep, err := endpoint.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	d.Store.Set(registry.Instance{Object: obj, Endpoint: ep, Active: true, SetID: setID})
	return d
}

// TestTarsGoClientResolvesThroughOutpostRegistry: a TarsGo v1.4.5 client
// configured with locator=tars.tarsregistry.QueryObj@... (Outpost's
// registry) resolves the object name with findObjectByIdInSameGroup and
// calls the Outpost server.
func TestTarsGoClientResolvesThroughOutpostRegistry(t *testing.T) {
	d := outpostRegistry(t, "")
	comm := tars.NewCommunicator()
	comm.SetLocator(d.Locator())
	p := new(Interop.Echo)
	comm.StringToProxy(obj, p)
	p.TarsSetTimeout(5000)
	got, err := p.EchoStringWithContext(context.Background(), "via registry")
	if err != nil || got != "via registry" {
		t.Fatalf("echoString through the registry = %q, %v", got, err)
	}
}

// TestTarsGoSetClientResolvesThroughOutpostRegistry: with sets enabled,
// TarsGo calls findObjectByIdInSameSet, and the set rules apply.
func TestTarsGoSetClientResolvesThroughOutpostRegistry(t *testing.T) {
	d := outpostRegistry(t, "mtt.s.1")
	// An instance in another set group, where nothing listens: the set
	// rules must keep it from the caller in mtt.s.1.
	d.Store.Set(registry.Instance{Object: obj, Active: true, SetID: "mtt.s.2",
		Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "127.0.0.1", Port: 1, Weight: -1}})
	comm := tars.NewCommunicator()
	comm.SetLocator(d.Locator())
	comm.SetProperty("enableset", true)
	comm.SetProperty("setdivision", "mtt.s.1")
	p := new(Interop.Echo)
	comm.StringToProxy(obj, p)
	p.TarsSetTimeout(5000)
	for i := range int32(10) {
		got, err := p.EchoIntWithContext(context.Background(), i)
		if err != nil || got != i {
			t.Fatalf("echoInt in set mtt.s.1 = %d, %v", got, err)
		}
	}
}
