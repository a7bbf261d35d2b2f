package registry_test

import (
	"context"
	"net"
	"sort"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/memory"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
	"github.com/outpost-edge/outpost/tars/servant"
)

// pushSink is a connection that takes pushes and never closes.
type pushSink struct{ done chan struct{} }

func (pushSink) Push(*protocol.ResponsePacket) error { return nil }
func (p pushSink) Done() <-chan struct{}             { return p.done }

// FuzzDispatch feeds arbitrary request bodies to every function of the
// registry's three servants, as a network client could: they answer or
// fail, and never panic.
func FuzzDispatch(f *testing.F) {
	store, err := memory.New(memory.WithLogger(quiet))
	if err != nil {
		f.Fatal(err)
	}
	defer store.Close()
	reg := registry.New(registry.Config{Source: store, Registrar: store, Logger: quiet})
	defer reg.Close()
	ds := reg.Dispatchers()
	type fn struct {
		obj  string
		name string
	}
	var fns []fn
	for obj, desc := range map[string]*servant.ServiceDesc{registry.QueryObj: &queryf.QueryFServiceDesc,
		registry.WatchObj: &queryf.WatchServiceDesc, registry.RegisterObj: &queryf.RegisterServiceDesc} {
		for _, m := range desc.Methods {
			fns = append(fns, fn{obj, m.Name})
		}
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].obj+fns[i].name < fns[j].obj+fns[j].name })

	// Seeds: well-formed arguments for each shape.
	w := codec.NewWriter(nil)
	w.WriteString(1, "App.Server.Obj")
	w.WriteString(2, "mtt.s.1")
	f.Add(byte(0), w.Bytes())
	item := queryf.Registration{Id: "App.Server.Obj", TtlMs: 1000,
		Ep: queryf.EndpointF{Host: "10.0.0.1", Port: 1, Istcp: 1}}
	w = codec.NewWriter(nil)
	w.WriteListHead(1, 1)
	w.WriteStruct(0, &item)
	for i := range fns {
		f.Add(byte(i), w.Bytes())
	}
	f.Add(byte(3), []byte{})
	done := make(chan struct{})
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		fn := fns[int(which)%len(fns)]
		req := &protocol.RequestPacket{Version: protocol.VersionTars, ServantName: fn.obj, FuncName: fn.name, Buffer: body}
		resp := &protocol.ResponsePacket{}
		cur := &servant.Current{Request: req, Response: resp, Conn: pushSink{done},
			RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}}
		ctx := context.WithValue(context.Background(), servant.CurrentKey{}, cur)
		_ = ds[fn.obj].Dispatch(ctx, req, resp)
	})
}
