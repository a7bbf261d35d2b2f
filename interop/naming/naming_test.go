//go:build !race

package naming_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/rogger"

	Interop "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/locator"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/devserver"
	"github.com/outpost-edge/outpost/tars/server"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// tarsGoRefresh is TarsGo's refresh-endpoint-interval for this process:
// 1 s instead of the default 60 s, so that the comparison finishes; TarsGo
// reads it once, when its first proxy is made.
const tarsGoRefresh = 1000

func TestMain(m *testing.M) {
	rogger.SetLevel(rogger.OFF)
	tars.GetClientConfig().RefreshEndpointInterval = tarsGoRefresh
	os.Exit(m.Run())
}

// hosts numbers the loopback addresses instances listen on: each gets
// its own, because TarsGo's selectors key endpoints by host and would merge
// instances that differ only in port (protocol reference §5.2).
var hosts int

// instance serves the echo servant and signals hit on its first call.
func instance(b *testing.B) (registry.Instance, <-chan struct{}) {
	hosts++
	hit := make(chan struct{})
	first := true
	srv := server.New(server.WithLogger(quiet), server.WithInterceptors(func(next server.Handler) server.Handler {
		return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
			if first {
				first = false
				close(hit)
			}
			return next(ctx, req, resp)
		}
	}))
	ad, err := srv.Listen(fmt.Sprintf("tcp -h 127.0.%d.%d -p 0", hosts/250, hosts%250+1))
	if err != nil {
		b.Fatal(err)
	}
	ad.Handle(echo.Obj, interop.NewEchoDispatcher(echo.Echo{}))
	go srv.Serve()
	b.Cleanup(func() { srv.Close() })
	return registry.Instance{Object: echo.Obj, Endpoint: ad.Endpoint(), Active: true}, hit
}

// BenchmarkScaleUpToFirstCall measures the time from a new instance
// appearing in the registry to the first call it receives from a client
// calling in a loop, for an Outpost client (push) and a TarsGo client
// (QueryF polling every tarsGoRefresh ms). Reports p50 and max.
//
//	cd interop && go test -run XXX -bench ScaleUp -benchtime 10x ./naming/
func BenchmarkScaleUpToFirstCall(b *testing.B) {
	d, err := devserver.Start(devserver.Config{Endpoint: "tcp -h 127.0.0.1 -p 0", Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	base, _ := instance(b)
	d.Store.Set(base)

	// Failed calls are counted, not fatal: TarsGo fails calls in flight to
	// an instance that leaves its list (each iteration removes one).
	run := func(b *testing.B, call func() error) {
		var lat []time.Duration
		failed := 0
		for b.Loop() {
			inst, hit := instance(b)
			start := time.Now()
			d.Store.Set(inst)
		wait:
			for {
				select {
				case <-hit:
					break wait
				default:
				}
				if time.Since(start) > 30*time.Second {
					b.Fatal("the new instance got no call in 30 s")
				}
				if err := call(); err != nil {
					failed++
				}
			}
			lat = append(lat, time.Since(start))
			d.Store.Remove(inst)
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		b.ReportMetric(float64(failed), "failed-calls")
	}

	b.Run("outpost-push", func(b *testing.B) {
		r, err := locator.New(locator.Config{Locator: d.Locator(), Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		c, err := client.New(echo.Obj, client.WithResolver(r), client.WithLogger(quiet))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		e := interop.NewEchoClient(c)
		run(b, func() error { _, err := e.EchoInt(context.Background(), 1); return err })
	})
	b.Run("tarsgo-poll-1s", func(b *testing.B) {
		comm := tars.NewCommunicator()
		comm.SetLocator(d.Locator())
		p := new(Interop.Echo)
		comm.StringToProxy(echo.Obj, p)
		run(b, func() error { _, err := p.EchoIntWithContext(context.Background(), 1); return err })
	})
}
