package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/server"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// start runs a server with the interop servant on a free loopback port and
// stops it when the test ends.
func start(t *testing.T, srvOpts []server.Option, adOpts ...server.AdapterOption) (*server.Server, *server.Adapter) {
	t.Helper()
	srv := server.New(append([]server.Option{server.WithLogger(quiet)}, srvOpts...)...)
	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 0 -t 60000", adOpts...)
	if err != nil {
		t.Fatal(err)
	}
	ad.Handle(echo.Obj, interop.NewEchoDispatcher(echo.Echo{}))
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != server.ErrServerClosed {
			t.Errorf("Serve = %v", err)
		}
	})
	return srv, ad
}

// rawClient speaks frames on one connection, for tests that must see
// exactly what the server sends.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	fr *protocol.FrameReader
}

func dial(t *testing.T, ad *server.Adapter) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ad.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, fr: protocol.NewFrameReader(nc, 0)}
}

func (c *rawClient) send(req *protocol.RequestPacket) {
	c.t.Helper()
	var w codec.Writer
	if err := protocol.WriteFrame(&w, req); err != nil {
		c.t.Fatal(err)
	}
	c.write(w.Bytes())
}

func (c *rawClient) write(b []byte) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one reply as a ResponsePacket (TUP replies are
// RequestPacket-shaped; use recvTUP).
func (c *rawClient) recv() *protocol.ResponsePacket {
	c.t.Helper()
	body := c.next()
	var resp protocol.ResponsePacket
	if err := resp.Decode(body); err != nil {
		c.t.Fatal(err)
	}
	return &resp
}

func (c *rawClient) recvTUP() *protocol.RequestPacket {
	c.t.Helper()
	body := c.next()
	var req protocol.RequestPacket
	if err := req.Decode(body); err != nil {
		c.t.Fatal(err)
	}
	return &req
}

func (c *rawClient) next() []byte {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(testTimeout))
	body, err := c.fr.Next()
	if err != nil {
		c.t.Fatal(err)
	}
	return body
}

// waitClosed waits until the server closes the connection.
func (c *rawClient) waitClosed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(testTimeout))
	for {
		if _, err := c.fr.Next(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.t.Fatal("connection not closed by the server")
			}
			return
		}
	}
}

// args encodes positional arguments with f.
func args(f func(w *codec.Writer)) []byte {
	var w codec.Writer
	f(&w)
	return w.Bytes()
}

func intArg(v int32) []byte { return args(func(w *codec.Writer) { w.WriteInt32(1, v) }) }

func call(fn string, id int32, buf []byte) *protocol.RequestPacket {
	return &protocol.RequestPacket{Version: protocol.VersionTars, RequestID: id,
		ServantName: echo.Obj, FuncName: fn, Buffer: buf, Timeout: 5000}
}

// readRet decodes an int return value (tag 0).
func readRet(t *testing.T, buf []byte) int32 {
	t.Helper()
	var v int32
	if err := codec.NewReader(buf).ReadInt32(&v, 0, true); err != nil {
		t.Fatal(err)
	}
	return v
}

// gate is an interceptor that holds calls to the function "block" until
// released (answering them with success and no body), counts the calls
// reaching the chain by function name, and records their contexts'
// deadlines.
type gate struct {
	release chan struct{}
	entered chan string
	mu      sync.Mutex
	calls   map[string]int
}

func newGate() *gate {
	return &gate{release: make(chan struct{}), entered: make(chan string, 1000), calls: map[string]int{}}
}

func (g *gate) interceptor(next server.Handler) server.Handler {
	return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
		g.mu.Lock()
		g.calls[req.FuncName]++
		g.mu.Unlock()
		g.entered <- req.FuncName
		if req.FuncName == "block" {
			select {
			case <-g.release:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		}
		return next(ctx, req, resp)
	}
}

func (g *gate) count(fn string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[fn]
}

// waitEntered waits until a call to fn has entered the chain.
func (g *gate) waitEntered(t *testing.T, fn string) {
	t.Helper()
	deadline := time.After(testTimeout)
	for {
		select {
		case got := <-g.entered:
			if got == fn {
				return
			}
		case <-deadline:
			t.Fatalf("%s never dispatched", fn)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func dialErr(ad *server.Adapter) (net.Conn, error) {
	return net.DialTimeout("tcp", ad.Addr().String(), time.Second)
}
