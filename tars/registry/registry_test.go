package registry_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/devserver"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
	"github.com/outpost-edge/outpost/tars/servant"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const obj = "App.Server.Obj"

func startRegistry(t *testing.T) *devserver.Server {
	t.Helper()
	d, err := devserver.Start(devserver.Config{Endpoint: "tcp -h 127.0.0.1 -p 0", Logger: quiet,
		Rules: registry.Rules{GroupPriority: []string{"gz"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func ep(port int) endpoint.Endpoint {
	return endpoint.Endpoint{Proto: endpoint.TCP, Host: "10.0.0.1", Port: port, Weight: -1}
}

func portsOf(fs []queryf.EndpointF) []int {
	var out []int
	for _, f := range fs {
		out = append(out, int(f.Port))
	}
	return out
}

func dial(t *testing.T, d *devserver.Server, object string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(object+"@"+d.Adapter.Endpoint().String(), append([]client.Option{client.WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestQueryF calls every QueryF function over a real connection.
func TestQueryF(t *testing.T) {
	d := startRegistry(t)
	// The test client connects from 127.0.0.1: group "sz".
	d.Store.SetGroup(netip.MustParsePrefix("127.0.0.0/8"), "sz")
	for _, i := range []registry.Instance{
		{Object: obj, Endpoint: ep(1), Active: true, Group: "sz", SetID: "mtt.s.1"},
		{Object: obj, Endpoint: ep(2), Active: false, Group: "sz"},
		{Object: obj, Endpoint: ep(3), Active: true, Group: "gz"},
		{Object: obj, Endpoint: ep(4), Active: true, Group: "sh", SetID: "mtt.s.*"},
	} {
		d.Store.Set(i)
	}
	q := queryf.NewQueryFClient(dial(t, d, registry.QueryObj))
	ctx := context.Background()

	all, err := q.FindObjectById(ctx, obj)
	if err != nil || !slices.Equal(portsOf(all), []int{1, 3, 4}) {
		t.Fatalf("findObjectById: %v %v", portsOf(all), err)
	}
	ret, a, in, err := q.FindObjectById4Any(ctx, obj)
	if err != nil || ret != 0 || !slices.Equal(portsOf(a), []int{1, 3, 4}) || !slices.Equal(portsOf(in), []int{2}) {
		t.Fatalf("4Any: %d %v %v %v", ret, portsOf(a), portsOf(in), err)
	}
	for name, f := range map[string]func(context.Context, string, ...servant.CallOption) (int32, []queryf.EndpointF, []queryf.EndpointF, error){
		"InSameGroup": q.FindObjectByIdInSameGroup, "4All": q.FindObjectById4All,
	} {
		ret, a, in, err = f(ctx, obj)
		if err != nil || ret != 0 || !slices.Equal(portsOf(a), []int{1}) || !slices.Equal(portsOf(in), []int{2}) {
			t.Fatalf("%s from group sz: %d %v %v %v", name, ret, portsOf(a), portsOf(in), err)
		}
	}
	_, a, _, err = q.FindObjectByIdInSameStation(ctx, obj, "gz")
	if err != nil || !slices.Equal(portsOf(a), []int{3}) {
		t.Fatalf("InSameStation gz: %v %v", portsOf(a), err)
	}
	_, a, _, err = q.FindObjectByIdInSameSet(ctx, obj, "mtt.s.9")
	if err != nil || !slices.Equal(portsOf(a), []int{4}) {
		t.Fatalf("InSameSet mtt.s.9 (area star): %v %v", portsOf(a), err)
	}
	if a[0].SetId != "mtt.s.*" {
		t.Fatalf("setId not returned: %+v", a[0])
	}
	// Unknown object: empty, no error (TARS clients keep their list).
	ret, a, _, err = q.FindObjectByIdInSameGroup(ctx, "No.Such.Obj")
	if err != nil || ret != 0 || len(a) != 0 {
		t.Fatalf("unknown object: %d %v %v", ret, a, err)
	}
}

// TestWatchPush subscribes and sees a registration and a removal pushed.
func TestWatchPush(t *testing.T) {
	d := startRegistry(t)
	d.Store.Set(registry.Instance{Object: obj, Endpoint: ep(1), Active: true})
	var mu sync.Mutex
	var pushes []queryf.ObjectChange
	got := make(chan struct{}, 16)
	c := dial(t, d, registry.WatchObj, client.WithPushHandler(func(p *protocol.ResponsePacket) {
		if p.ResultDesc != registry.PushDesc {
			return
		}
		ch, err := registry.DecodeChange(p.Buffer)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		pushes = append(pushes, ch)
		mu.Unlock()
		got <- struct{}{}
	}))
	ret, cur, err := queryf.NewWatchClient(c).Watch(context.Background(), []queryf.WatchItem{{Id: obj}})
	if err != nil || ret != 0 || len(cur) != 1 || !slices.Equal(portsOf(cur[0].ActiveEp), []int{1}) {
		t.Fatalf("watch: %d %+v %v", ret, cur, err)
	}
	waitFor(t, func() bool { return d.Registry.Watchers() == 1 })
	if err := d.Store.Register(context.Background(), registry.Instance{Object: obj, Endpoint: ep(2), Active: true}, time.Minute); err != nil {
		t.Fatal(err)
	}
	last := func() queryf.ObjectChange {
		mu.Lock()
		defer mu.Unlock()
		if len(pushes) == 0 {
			return queryf.ObjectChange{}
		}
		return pushes[len(pushes)-1]
	}
	waitFor(t, func() bool { return slices.Equal(portsOf(last().ActiveEp), []int{1, 2}) })
	d.Store.Remove(registry.Instance{Object: obj, Endpoint: ep(1)})
	waitFor(t, func() bool { return slices.Equal(portsOf(last().ActiveEp), []int{2}) })
	mu.Lock()
	for i := 1; i < len(pushes); i++ {
		if pushes[i].Version <= pushes[i-1].Version {
			t.Errorf("versions not increasing: %d then %d", pushes[i-1].Version, pushes[i].Version)
		}
	}
	if len(pushes) > 0 && pushes[0].Version <= cur[0].Version {
		t.Errorf("push version %d not above the snapshot's %d", pushes[0].Version, cur[0].Version)
	}
	mu.Unlock()
	// Closing the connection drops the subscription.
	c.Close()
	waitFor(t, func() bool { return d.Registry.Watchers() == 0 })
}

// TestRegisterTTL registers through RegisterObj and sees it expire.
func TestRegisterTTL(t *testing.T) {
	d := startRegistry(t)
	r := queryf.NewRegisterClient(dial(t, d, registry.RegisterObj))
	ctx := context.Background()
	item := queryf.Registration{Id: obj, TtlMs: 1000, Group: "gz",
		Ep: registry.EndpointF(registry.Instance{Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "*", Port: 7}, NodeName: "box1"})}
	if ret, err := r.Register(ctx, []queryf.Registration{item}); err != nil || ret != 0 {
		t.Fatal(ret, err)
	}
	insts := d.Store.Instances(obj)
	if len(insts) != 1 || insts[0].Endpoint.Host != "127.0.0.1" || insts[0].NodeName != "box1" || insts[0].Group != "gz" || !insts[0].Active {
		t.Fatalf("registered: %+v", insts)
	}
	waitFor(t, func() bool { return len(d.Store.Instances(obj)) == 0 }) // expires after 1 s
	if _, err := r.Register(ctx, []queryf.Registration{item}); err != nil {
		t.Fatal(err)
	}
	if ret, err := r.Deregister(ctx, []queryf.Registration{item}); err != nil || ret != 0 {
		t.Fatal(ret, err)
	}
	if n := len(d.Store.Instances(obj)); n != 0 {
		t.Fatalf("%d instances after deregister", n)
	}
	bad := item
	bad.Id = "not an object"
	if _, err := r.Register(ctx, []queryf.Registration{bad}); err == nil {
		t.Fatal("bad object name accepted")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
