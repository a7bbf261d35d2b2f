//go:build !race

package rpc_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars"

	Interop "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/server"
)

// TestTarsGoClientFollowsReconnect: an Outpost server shutting down
// gracefully sends "_reconnect_" on every connection; a TarsGo client
// closes its connection in answer, so the shutdown completes at once
// instead of waiting for the server's drain idle time (an hour here).
// (Where the TarsGo client goes next is its own affair: in direct mode
// v1.4.5 keeps redialling the endpoint it was on.)
func TestTarsGoClientFollowsReconnect(t *testing.T) {
	srv := server.New(server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), server.WithDrainIdle(time.Hour))
	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 0")
	if err != nil {
		t.Fatal(err)
	}
	ad.Handle(obj, interop.NewEchoDispatcher(echo.Echo{}))
	go srv.Serve()

	comm := tars.NewCommunicator()
	p := new(Interop.Echo)
	comm.StringToProxy(obj+"@"+ad.Endpoint().String(), p)
	if v, err := p.EchoIntWithContext(context.Background(), 1); err != nil || v != 1 {
		t.Fatalf("call before shutdown = %v %v", v, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v: the TarsGo client kept its connection after _reconnect_", err)
	}
}
