package client_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/server"
)

const testTimeout = 20 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startServer serves the interop servant on a free loopback port until the
// test ends.
func startServer(t testing.TB, srvOpts []server.Option, adOpts ...server.AdapterOption) (*server.Server, *server.Adapter) {
	t.Helper()
	srv := server.New(append([]server.Option{server.WithLogger(quiet)}, srvOpts...)...)
	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 0", adOpts...)
	if err != nil {
		t.Fatal(err)
	}
	ad.Handle(echo.Obj, interop.NewEchoDispatcher(echo.Echo{}))
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return srv, ad
}

func proxy(ads ...*server.Adapter) string {
	s := echo.Obj + "@"
	for i, ad := range ads {
		if i > 0 {
			s += ":"
		}
		s += ad.Endpoint().String()
	}
	return s
}

func newClient(t testing.TB, proxy string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(proxy, append([]client.Option{client.WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// gate holds server calls to "block" until released and records what
// reaches the server.
type gate struct {
	release chan struct{}
	entered chan struct{}
	mu      sync.Mutex
	reqs    []protocol.RequestPacket
}

func newGate() *gate { return &gate{release: make(chan struct{}), entered: make(chan struct{}, 1<<20)} }

func (g *gate) interceptor(next server.Handler) server.Handler {
	return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
		g.mu.Lock()
		g.reqs = append(g.reqs, *req)
		g.mu.Unlock()
		g.entered <- struct{}{}
		if req.FuncName == "hang" { // ignores its deadline
			select {
			case <-g.release:
			case <-time.After(5 * time.Second):
			}
			return nil
		}
		if req.FuncName == "block" {
			select {
			case <-g.release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return next(ctx, req, resp)
	}
}

func (g *gate) seen() []protocol.RequestPacket {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]protocol.RequestPacket(nil), g.reqs...)
}

func (g *gate) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(testTimeout):
		t.Fatal("no call reached the server")
	}
}

func blockReq() *protocol.RequestPacket {
	return &protocol.RequestPacket{Version: protocol.VersionTars, FuncName: "block"}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
