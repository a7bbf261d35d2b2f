//go:build !race

package rpc_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/rogger"

	Interop "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
	"github.com/outpost-edge/outpost/interop/tarsgo/echoimpl"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/server"
)

const obj = "Outpost.Interop.EchoObj"

// TestMain silences TarsGo's console logger, which logs every failed call.
func TestMain(m *testing.M) {
	rogger.SetLevel(rogger.OFF)
	os.Exit(m.Run())
}

// outpostServer serves the interop servant with Outpost on a free port;
// seen receives every request that reaches the servant.
//
// The server is left running until the process exits: when a server closes
// a connection, TarsGo v1.4.5's client races with itself
// (transport/tarsclient.go, connection.close against connection.send) and
// the race detector fails the test, whatever the server.
func outpostServer(t *testing.T) (ep string, seen <-chan protocol.RequestPacket) {
	t.Helper()
	ch := make(chan protocol.RequestPacket, 100)
	record := func(next server.Handler) server.Handler {
		return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
			select {
			case ch <- *req:
			default:
			}
			return next(ctx, req, resp)
		}
	}
	srv := server.New(server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), server.WithInterceptors(record))
	ad, err := srv.Listen("tcp -h 127.0.0.1 -p 0 -t 60000")
	if err != nil {
		t.Fatal(err)
	}
	ad.Handle(obj, interop.NewEchoDispatcher(echo.Echo{}))
	go srv.Serve()
	return ad.Endpoint().String(), ch
}

// The TarsGo server is process-wide (TarsGo keeps its application in
// globals), so it is started once and shared.
var tarsGo struct {
	once  sync.Once
	ep    string
	err   error
	calls chan string
}

const tarsGoConfig = `<tars>
  <application>
    <server>
      app=Outpost
      server=Interop
      logpath=%s
      logLevel=ERROR
      <Outpost.Interop.EchoObjAdapter>
        endpoint=tcp -h 127.0.0.1 -p %d -t 60000
        servant=Outpost.Interop.EchoObj
        protocol=tars
      </Outpost.Interop.EchoObjAdapter>
    </server>
  </application>
</tars>
`

// tarsGoServer serves the interop servant with TarsGo; calls receives the
// name of every function its implementation runs.
func tarsGoServer(t *testing.T) (ep string, calls <-chan string) {
	t.Helper()
	tarsGo.once.Do(func() {
		port, err := freePort()
		if err != nil {
			tarsGo.err = err
			return
		}
		dir, err := os.MkdirTemp("", "tarsgo-interop")
		if err != nil {
			tarsGo.err = err
			return
		}
		cfg := filepath.Join(dir, "server.conf")
		if err := os.WriteFile(cfg, fmt.Appendf(nil, tarsGoConfig, dir, port), 0o600); err != nil {
			tarsGo.err = err
			return
		}
		tars.ServerConfigPath = cfg
		tars.GetServerConfig() // loads the configuration AddServant needs
		rogger.SetLevel(rogger.OFF)
		tarsGo.calls = make(chan string, 1000)
		impl := &echoimpl.Echo{OnCall: func(fn string) {
			select {
			case tarsGo.calls <- fn:
			default:
			}
		}}
		tars.AddServantWithContext(new(Interop.Echo), impl, obj)
		go tars.Run()
		tarsGo.ep = fmt.Sprintf("tcp -h 127.0.0.1 -p %d -t 60000", port)
		tarsGo.err = waitListening(fmt.Sprintf("127.0.0.1:%d", port))
	})
	if tarsGo.err != nil {
		t.Fatal(tarsGo.err)
	}
	return tarsGo.ep, tarsGo.calls
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("TarsGo server not listening on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
