package client_test

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/protocol/tup"
	"github.com/outpost-edge/outpost/tars/servant"
	"github.com/outpost-edge/outpost/tars/server"
)

// TestGeneratedClient calls every function of the interop servant through
// the generated client.
func TestGeneratedClient(t *testing.T) {
	_, ad := startServer(t, nil)
	e := interop.NewEchoClient(newClient(t, proxy(ad)))
	ctx := t.Context()
	check := func(name string, got, want any, err error) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, %v; want %v", name, got, err, want)
		}
	}
	b, err := e.EchoBool(ctx, true)
	check("echoBool", b, true, err)
	i8, err := e.EchoByte(ctx, -7)
	check("echoByte", i8, int8(-7), err)
	i16, err := e.EchoShort(ctx, -300)
	check("echoShort", i16, int16(-300), err)
	i32, err := e.EchoInt(ctx, 1<<30)
	check("echoInt", i32, int32(1<<30), err)
	i64, err := e.EchoLong(ctx, -1<<60)
	check("echoLong", i64, int64(-1<<60), err)
	f32, err := e.EchoFloat(ctx, 1.5)
	check("echoFloat", f32, float32(1.5), err)
	f64, err := e.EchoDouble(ctx, -2.25)
	check("echoDouble", f64, -2.25, err)
	s, err := e.EchoString(ctx, "héllo")
	check("echoString", s, "héllo", err)
	bs, err := e.EchoBytes(ctx, []byte{0, 1, 255})
	check("echoBytes", bs, []byte{0, 1, 255}, err)
	ss, err := e.EchoStrings(ctx, []string{"a", ""})
	check("echoStrings", ss, []string{"a", ""}, err)
	m, err := e.EchoMap(ctx, map[string]string{"k": "v"})
	check("echoMap", m, map[string]string{"k": "v"}, err)
	col, err := e.EchoColor(ctx, interop.Color_BLUE)
	check("echoColor", col, interop.Color_BLUE, err)
	p, err := e.EchoPoint(ctx, interop.Point{X: 1, Y: -2, Label: "p"})
	check("echoPoint", p, interop.Point{X: 1, Y: -2, Label: "p"}, err)
	ev := interop.NewEverything()
	ev.Str, ev.Ints, ev.Names = "s", []int32{1, 2}, map[interop.Point]string{{X: 1}: "one"}
	gotEv, err := e.EchoEverything(ctx, ev)
	check("echoEverything", gotEv, ev, err)
	ret, sum, diff, err := e.AddSub(ctx, 7, 3)
	check("addSub", []any{ret, sum, diff}, []any{int32(10), int32(10), int64(4)}, err)
	n, bounds, labels, err := e.Summarize(ctx, []interop.Point{{X: 1, Y: 5, Label: "a"}, {X: -2, Y: 9, Label: "b"}})
	check("summarize", []any{n, bounds, labels}, []any{int32(2),
		[]interop.Point{{X: -2, Y: 5, Label: "min"}, {X: 1, Y: 9, Label: "max"}}, []string{"a", "b"}}, err)
	ms, err := e.SleepMs(ctx, 1)
	check("sleepMs", ms, int32(1), err)

	var respCtx, respStatus map[string]string
	v, err := e.ContextValue(ctx, "user", servant.WithContext(map[string]string{"user": "alice"}),
		servant.ResponseContext(&respCtx), servant.ResponseStatus(&respStatus))
	check("contextValue", v, "alice", err)
	if respCtx["echoed"] != "user" || respStatus["seen"] != "yes" {
		t.Errorf("response maps = %v %v", respCtx, respStatus)
	}

	err = e.Fail(ctx, -42, "custom failure")
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != -42 || se.Message != "custom failure" {
		t.Errorf("fail = %v", err)
	}
	err = e.Fail(ctx, 7, "")
	if !errors.As(err, &se) || se.Code != 7 {
		t.Errorf("fail(7) = %v", err)
	}
}

// TestDeadlinePropagation: the context deadline bounds the call and is
// sent as iTimeout.
func TestDeadlinePropagation(t *testing.T) {
	g := newGate()
	_, ad := startServer(t, []server.Option{server.WithInterceptors(g.interceptor)})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	c0 := newClient(t, proxy(ad))
	_, err := c0.Invoke(ctx, &protocol.RequestPacket{Version: 1, FuncName: "hang"})
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != protocol.InvokeTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call past the deadline = %v", err)
	}
	reqs := g.seen()
	if len(reqs) != 1 || reqs[0].Timeout <= 0 || reqs[0].Timeout > 200 {
		t.Fatalf("iTimeout sent = %+v", reqs)
	}
	// Without a context deadline, the client's default timeout is sent.
	c := newClient(t, proxy(ad), client.WithTimeout(1500*time.Millisecond))
	if _, err := interop.NewEchoClient(c).EchoInt(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if got := g.seen()[1].Timeout; got <= 1000 || got > 1500 {
		t.Errorf("default iTimeout = %d", got)
	}
	// servant.WithTimeout shortens a call. The server's handler has the
	// same deadline, so its failure may arrive just before the client
	// gives up.
	_, err = interop.NewEchoClient(c).SleepMs(t.Context(), 60000, servant.WithTimeout(50*time.Millisecond))
	if !errors.As(err, &se) || (se.Code != protocol.InvokeTimeout && !strings.Contains(se.Message, "deadline exceeded")) {
		t.Errorf("sleepMs with a 50 ms timeout = %v", err)
	}
	// An expired context fails before anything is sent.
	n := len(g.seen())
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := interop.NewEchoClient(c).EchoInt(expired, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired context = %v", err)
	}
	cancelled, cancel3 := context.WithCancel(t.Context())
	cancel3()
	if _, err := interop.NewEchoClient(c).EchoInt(cancelled, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context = %v", err)
	}
	if len(g.seen()) != n {
		t.Error("a call with no time left was sent")
	}
}

func TestOneway(t *testing.T) {
	g := newGate()
	_, ad := startServer(t, []server.Option{server.WithInterceptors(g.interceptor)})
	e := interop.NewEchoClient(newClient(t, proxy(ad)))
	if _, err := e.EchoInt(t.Context(), 5, servant.Oneway()); err != nil {
		t.Fatal(err)
	}
	g.waitEntered(t)
	if r := g.seen(); len(r) != 1 || r[0].PacketType != protocol.PacketOneway || r[0].FuncName != "echoInt" {
		t.Fatalf("server saw %+v", r)
	}
	// The connection goes on working: no stray reply confuses it.
	if v, err := e.EchoInt(t.Context(), 6); err != nil || v != 6 {
		t.Fatalf("after oneway: %v %v", v, err)
	}
}

func TestAsyncAndFuture(t *testing.T) {
	_, ad := startServer(t, nil)
	c := newClient(t, proxy(ad))
	const n = 2000
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := range n {
		wg.Add(1)
		req := &protocol.RequestPacket{Version: 1, FuncName: "echoInt", Buffer: intArg(int32(i))}
		c.InvokeAsync(t.Context(), req, func(resp *protocol.ResponsePacket, err error) {
			defer wg.Done()
			if err != nil || resp.Ret != 0 || ret(resp.Buffer) != int32(i) {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d async calls failed", bad.Load())
	}
	f := c.Go(t.Context(), &protocol.RequestPacket{Version: 1, FuncName: "echoInt", Buffer: intArg(9)})
	select {
	case <-f.Done():
	case <-time.After(testTimeout):
		t.Fatal("future never completed")
	}
	if resp, err := f.Wait(); err != nil || ret(resp.Buffer) != 9 {
		t.Fatalf("future = %v %v", resp, err)
	}
	// Async timeouts fire without anyone waiting, here against a server
	// that never answers.
	silent := newClient(t, echo.Obj+"@"+fakeServer(t, func(nc net.Conn) { io.Copy(io.Discard, nc) }))
	f = silent.Go(t.Context(), &protocol.RequestPacket{Version: 1, FuncName: "echoInt", Timeout: 30})
	if _, err := f.Wait(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("async timeout = %v", err)
	}
	// And so do cancellations.
	ctx, cancel := context.WithCancel(t.Context())
	f = silent.Go(ctx, &protocol.RequestPacket{Version: 1, FuncName: "echoInt"})
	cancel()
	if _, err := f.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("async cancel = %v", err)
	}
}

func intArg(v int32) []byte {
	var w codec.Writer
	w.WriteInt32(1, v)
	return w.Bytes()
}

func ret(b []byte) int32 {
	var v int32
	codec.NewReader(b).ReadInt32(&v, 0, true)
	return v
}

// TestHundredThousandInFlight holds 100,000 asynchronous calls in flight on
// one client at once: the server's only handler slot is taken, so none
// can complete until it is released.
func TestHundredThousandInFlight(t *testing.T) {
	g := newGate()
	_, ad := startServer(t, []server.Option{server.WithInterceptors(g.interceptor)},
		server.MaxInFlight(1), server.QueueCap(200000), server.QueueTimeout(time.Minute))
	c := newClient(t, proxy(ad), client.WithTimeout(time.Minute))
	blocked := c.Go(t.Context(), blockReq())
	g.waitEntered(t)

	const n = 100000
	var done, bad atomic.Int32
	all := make(chan struct{})
	for i := range n {
		req := &protocol.RequestPacket{Version: 1, FuncName: "echoInt", Buffer: intArg(int32(i))}
		c.InvokeAsync(t.Context(), req, func(resp *protocol.ResponsePacket, err error) {
			if err != nil || resp.Ret != 0 || ret(resp.Buffer) != int32(i) {
				bad.Add(1)
			}
			if done.Add(1) == n {
				close(all)
			}
		})
	}
	if d := done.Load(); d != 0 {
		t.Fatalf("%d calls completed while the server was blocked", d)
	}
	close(g.release)
	if _, err := blocked.Wait(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		t.Fatalf("only %d of %d calls completed", done.Load(), n)
	}
	if bad.Load() != 0 {
		t.Fatalf("%d calls failed", bad.Load())
	}
}

// TestManyCallers runs synchronous calls from many goroutines over a few
// connections.
func TestManyCallers(t *testing.T) {
	_, ad := startServer(t, nil)
	e := interop.NewEchoClient(newClient(t, proxy(ad), client.WithConnsPerEndpoint(3)))
	var wg sync.WaitGroup
	var bad atomic.Int32
	for g := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				s := strings.Repeat("x", (g*20+i)%300)
				if got, err := e.EchoString(t.Context(), s); err != nil || got != s {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d calls failed", bad.Load())
	}
}

// TestTUPAndJSONRequests: raw requests in other protocol versions come
// back as ResponsePackets, TUP errors included.
func TestTUPAndJSONRequests(t *testing.T) {
	_, ad := startServer(t, nil)
	c := newClient(t, proxy(ad))
	u, _ := tup.New(protocol.VersionTUP3)
	tup.PutValue(u, "code", int32(-5))
	tup.PutValue(u, "message", "tup failure")
	body, _ := u.Bytes()
	resp, err := c.Invoke(t.Context(), &protocol.RequestPacket{Version: protocol.VersionTUP3, FuncName: "fail", Buffer: body})
	if err != nil || resp.Ret != -5 || resp.ResultDesc != "tup failure" || resp.Version != protocol.VersionTUP3 {
		t.Fatalf("TUP fail = %+v %v", resp, err)
	}
	resp, err = c.Invoke(t.Context(), &protocol.RequestPacket{Version: protocol.VersionJSON, FuncName: "echoString", Buffer: []byte(`{"v":"j"}`)})
	if err != nil || resp.Ret != 0 || string(resp.Buffer) != `{"tars_ret":"j"}` {
		t.Fatalf("JSON = %+v %v", resp, err)
	}
}

func TestInterceptors(t *testing.T) {
	g := newGate()
	_, ad := startServer(t, []server.Option{server.WithInterceptors(g.interceptor)})
	var order []string
	var mu sync.Mutex
	mk := func(name string) client.Interceptor {
		return func(next client.Handler) client.Handler {
			return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
				if req.Status == nil {
					req.Status = map[string]string{}
				}
				req.Status[protocol.StatusTraceKey] = "trace-" + name
				err := next(ctx, req, resp)
				mu.Lock()
				order = append(order, name+":"+resp.ResultDesc)
				mu.Unlock()
				return err
			}
		}
	}
	c := newClient(t, proxy(ad), client.WithInterceptors(mk("outer"), mk("inner")))
	err := interop.NewEchoClient(c).Fail(t.Context(), 3, "x")
	if err == nil {
		t.Fatal("fail succeeded")
	}
	if got := strings.Join(order, " "); got != "outer inner inner:x outer:x" {
		t.Errorf("order = %q", got)
	}
	if st := g.seen()[0].Status[protocol.StatusTraceKey]; st != "trace-inner" {
		t.Errorf("status sent = %q", st)
	}
	// Async calls go through the interceptors too.
	order = nil
	if _, err := c.Go(t.Context(), &protocol.RequestPacket{Version: 1, FuncName: "echoInt", Buffer: intArg(1)}).Wait(); err != nil {
		t.Fatal(err)
	}
	if len(order) != 4 {
		t.Errorf("async order = %v", order)
	}
}

func TestMaxInFlight(t *testing.T) {
	g := newGate()
	_, ad := startServer(t, []server.Option{server.WithInterceptors(g.interceptor)})
	c := newClient(t, proxy(ad), client.WithMaxInFlight(1))
	f := c.Go(t.Context(), blockReq())
	g.waitEntered(t)
	f2 := c.Go(t.Context(), blockReq())
	_, err := f2.Wait()
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != protocol.SendRequestErr {
		t.Fatalf("call over the limit = %v", err)
	}
	close(g.release)
	if _, err := f.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestClose(t *testing.T) {
	g := newGate()
	_, ad := startServer(t, []server.Option{server.WithInterceptors(g.interceptor)})
	c := newClient(t, proxy(ad))
	f := c.Go(t.Context(), blockReq())
	g.waitEntered(t)
	c.Close()
	if _, err := f.Wait(); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("in-flight call after Close = %v", err)
	}
	if _, err := c.Invoke(t.Context(), &protocol.RequestPacket{Version: 1, FuncName: "echoInt"}); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("call after Close = %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	for _, p := range []string{"", "A.B.C", "A.B.C@udp -h", "A.B.C@http -h a -p 1"} {
		if _, err := client.New(p); err == nil {
			t.Errorf("New(%q) succeeded", p)
		}
	}
}

// TestLoneCallTimeouts covers the deadlines of a call reading its own reply:
// a long timeout (enforced by the client's watcher) and a cancelled
// context.
func TestLoneCallTimeouts(t *testing.T) {
	silent := echo.Obj + "@" + fakeServer(t, func(nc net.Conn) { io.Copy(io.Discard, nc) })
	c := newClient(t, silent, client.WithTimeout(1100*time.Millisecond))
	e := interop.NewEchoClient(c)
	_, err := e.EchoInt(t.Context(), 1)
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != protocol.InvokeTimeout {
		t.Fatalf("lone call past a 1.1 s timeout = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	if _, err := e.EchoInt(ctx, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("lone call with a cancelled context = %v", err)
	}
	// The connection still works for the next call's timeout.
	ctx, cancel2 := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel2()
	if _, err := e.EchoInt(ctx, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third call = %v", err)
	}
}
