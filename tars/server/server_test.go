package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/protocol/tup"
	"github.com/outpost-edge/outpost/tars/server"
)

// TestProtocolVersions calls addSub(7, 3) in TARS, TUP3 and JSON on one
// connection of one adapter.
func TestProtocolVersions(t *testing.T) {
	_, ad := start(t, nil)
	c := dial(t, ad)

	c.send(call("addSub", 1, args(func(w *codec.Writer) { w.WriteInt32(1, 7); w.WriteInt32(2, 3) })))
	resp := c.recv()
	if resp.Ret != 0 || resp.RequestID != 1 || resp.Version != protocol.VersionTars {
		t.Fatalf("TARS reply = %+v", resp)
	}
	r := codec.NewReader(resp.Buffer)
	var ret, sum int32
	var diff int64
	if r.ReadInt32(&ret, 0, true) != nil || r.ReadInt32(&sum, 3, true) != nil || r.ReadInt64(&diff, 4, true) != nil ||
		ret != 10 || sum != 10 || diff != 4 {
		t.Fatalf("TARS results = %d %d %d", ret, sum, diff)
	}

	u, _ := tup.New(protocol.VersionTUP3)
	tup.PutValue(u, "a", int32(7))
	tup.PutValue(u, "b", int32(3))
	body, _ := u.Bytes()
	req := call("addSub", 2, body)
	req.Version, req.MessageType = protocol.VersionTUP3, protocol.MessageTypeDyed
	c.send(req)
	tr := c.recvTUP()
	if tr.Version != protocol.VersionTUP3 || tr.RequestID != 2 || tr.ServantName != echo.Obj ||
		tr.FuncName != "addSub" || tr.MessageType != protocol.MessageTypeDyed {
		t.Fatalf("TUP reply = %+v", tr)
	}
	attrs, err := tup.Decode(protocol.VersionTUP3, tr.Buffer)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{"": 10, "tars_ret": 10, "sum": 10, "diff": 4} {
		var got int64
		if err := tup.GetValue(attrs, name, &got); err != nil || got != want {
			t.Errorf("TUP %q = %d, %v", name, got, err)
		}
	}

	req = call("addSub", 3, []byte(`{"a":7,"b":3}`))
	req.Version = protocol.VersionJSON
	c.send(req)
	resp = c.recv()
	if resp.Ret != 0 || resp.Version != protocol.VersionJSON || string(resp.Buffer) != `{"tars_ret":10,"sum":10,"diff":4}` {
		t.Fatalf("JSON reply = %+v %s", resp, resp.Buffer)
	}
}

// TestTUPError reports failures of TUP calls in the status map.
func TestTUPError(t *testing.T) {
	_, ad := start(t, nil)
	c := dial(t, ad)
	u, _ := tup.New(protocol.VersionTUP3)
	tup.PutValue(u, "code", int32(-42))
	tup.PutValue(u, "message", "boom")
	body, _ := u.Bytes()
	req := call("fail", 5, body)
	req.Version = protocol.VersionTUP3
	c.send(req)
	tr := c.recvTUP()
	if tr.Status[protocol.StatusResultCode] != "-42" || tr.Status[protocol.StatusResultDesc] != "boom" || tr.RequestID != 5 {
		t.Fatalf("TUP failure reply = %+v", tr)
	}
}

func TestResultCodes(t *testing.T) {
	_, ad := start(t, nil)
	c := dial(t, ad)
	cases := []struct {
		req  *protocol.RequestPacket
		ret  int32
		desc string
	}{
		{&protocol.RequestPacket{Version: 1, RequestID: 1, ServantName: "No.Such.Obj", FuncName: "f"}, protocol.ServerNoServantErr, `no servant "No.Such.Obj"`},
		{call("noSuchFunc", 2, nil), protocol.ServerNoFuncErr, `no function "noSuchFunc"`},
		{call("echoInt", 3, []byte{0x16}), protocol.ServerDecodeErr, "decode arguments"},
		{call("fail", 4, args(func(w *codec.Writer) { w.WriteInt32(1, 1234); w.WriteString(2, "custom failure") })), 1234, "custom failure"},
		{call("fail", 5, args(func(w *codec.Writer) { w.WriteInt32(1, -77); w.WriteString(2, "") })), -77, ""},
		{&protocol.RequestPacket{Version: 4, RequestID: 6, ServantName: echo.Obj, FuncName: "echoInt"}, protocol.ServerDecodeErr, "unsupported protocol version 4"},
	}
	for _, cs := range cases {
		c.send(cs.req)
		resp := c.recv()
		if resp.RequestID != cs.req.RequestID || resp.Ret != cs.ret || !contains(resp.ResultDesc, cs.desc) || resp.Buffer != nil {
			t.Errorf("%s: reply = %+v, want ret %d desc %q", cs.req.FuncName, resp, cs.ret, cs.desc)
		}
	}
}

// TestPingAndOneway: tars_ping is answered without dispatch, oneway calls
// are dispatched and not answered.
func TestPingAndOneway(t *testing.T) {
	g := newGate()
	_, ad := start(t, []server.Option{server.WithInterceptors(g.interceptor)})
	c := dial(t, ad)

	c.send(&protocol.RequestPacket{Version: 1, RequestID: 1, ServantName: "Any.Thing.Obj", FuncName: protocol.FuncPing})
	if resp := c.recv(); resp.Ret != 0 || resp.RequestID != 1 {
		t.Fatalf("ping reply = %+v", resp)
	}
	oneway := call("echoInt", 2, intArg(5))
	oneway.PacketType = protocol.PacketOneway
	c.send(oneway)
	g.waitEntered(t, "echoInt")
	ping := &protocol.RequestPacket{Version: 1, RequestID: 3, FuncName: protocol.FuncPing, PacketType: protocol.PacketOneway}
	c.send(ping)
	c.send(call("echoInt", 4, intArg(6)))
	if resp := c.recv(); resp.RequestID != 4 || readRet(t, resp.Buffer) != 6 {
		t.Fatalf("the reply after oneway calls is %+v", resp)
	}
	if n := g.count(protocol.FuncPing); n != 0 {
		t.Errorf("tars_ping dispatched %d times", n)
	}
	if n := g.count("echoInt"); n != 2 {
		t.Errorf("echoInt dispatched %d times, want 2", n)
	}
}

func TestContextAndStatusMaps(t *testing.T) {
	_, ad := start(t, nil)
	c := dial(t, ad)
	req := call("contextValue", 1, args(func(w *codec.Writer) { w.WriteString(1, "user") }))
	req.Context = map[string]string{"user": "alice"}
	req.Status = map[string]string{protocol.StatusTraceKey: "t1"}
	c.send(req)
	resp := c.recv()
	var got string
	if err := codec.NewReader(resp.Buffer).ReadString(&got, 0, true); err != nil || got != "alice" {
		t.Fatalf("contextValue = %q, %v", got, err)
	}
	if resp.Context["echoed"] != "user" || resp.Status["seen"] != "yes" {
		t.Errorf("response maps = %v %v", resp.Context, resp.Status)
	}
}

// TestPipelined sends many requests before reading and matches the
// replies by id.
func TestPipelined(t *testing.T) {
	_, ad := start(t, nil)
	c := dial(t, ad)
	const n = 500
	var w codec.Writer
	for i := range n {
		protocol.WriteFrame(&w, call("echoInt", int32(i+1), intArg(int32(i*3))))
	}
	c.write(w.Bytes())
	seen := map[int32]bool{}
	for range n {
		resp := c.recv()
		if resp.Ret != 0 || readRet(t, resp.Buffer) != (resp.RequestID-1)*3 || seen[resp.RequestID] {
			t.Fatalf("reply %+v", resp)
		}
		seen[resp.RequestID] = true
	}
}

// TestExpiredBeforeDispatch: a request whose iTimeout passed while it was
// queued is answered -6 and never reaches the handler chain.
func TestExpiredBeforeDispatch(t *testing.T) {
	g := newGate()
	_, ad := start(t, []server.Option{server.WithInterceptors(g.interceptor)}, server.MaxInFlight(1))
	c := dial(t, ad)
	c.send(call("block", 1, nil))
	g.waitEntered(t, "block")
	expiring := call("echoInt", 2, intArg(1))
	expiring.Timeout = 20
	c.send(expiring)
	time.Sleep(60 * time.Millisecond) // well past the 20 ms iTimeout
	close(g.release)
	got := map[int32]*protocol.ResponsePacket{}
	for range 2 {
		r := c.recv()
		got[r.RequestID] = r
	}
	if got[1].Ret != 0 {
		t.Errorf("blocking call = %+v", got[1])
	}
	if r := got[2]; r.Ret != protocol.ServerQueueTimeout || !contains(r.ResultDesc, "expired") {
		t.Errorf("expired call = %+v", r)
	}
	if n := g.count("echoInt"); n != 0 {
		t.Errorf("expired request dispatched %d times", n)
	}
}

// TestHandlerDeadline: the handler's context carries receive time +
// iTimeout.
func TestHandlerDeadline(t *testing.T) {
	deadlines := make(chan time.Duration, 1)
	probe := func(next server.Handler) server.Handler {
		return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
			if d, ok := ctx.Deadline(); ok {
				deadlines <- time.Until(d)
			} else {
				deadlines <- -1
			}
			return next(ctx, req, resp)
		}
	}
	_, ad := start(t, []server.Option{server.WithInterceptors(probe)})
	c := dial(t, ad)
	req := call("sleepMs", 1, intArg(60000))
	req.Timeout = 300
	c.send(req)
	if d := <-deadlines; d <= 0 || d > 300*time.Millisecond {
		t.Errorf("remaining deadline in handler = %v, want in (0, 300ms]", d)
	}
	// sleepMs returns when its context ends, with the context's error.
	resp := c.recv()
	if resp.Ret != protocol.ServerUnknownErr || !contains(resp.ResultDesc, "deadline exceeded") {
		t.Errorf("reply = %+v", resp)
	}
	req = call("echoInt", 2, intArg(1))
	req.Timeout = 0
	c.send(req)
	if d := <-deadlines; d != -1 {
		t.Errorf("a request without iTimeout has a deadline %v", d)
	}
	c.recv()
}

// TestOverload: with one handler slot and one queue slot, the third
// concurrent request is answered -9 at once.
func TestOverload(t *testing.T) {
	g := newGate()
	_, ad := start(t, []server.Option{server.WithInterceptors(g.interceptor)}, server.MaxInFlight(1), server.QueueCap(1))
	c := dial(t, ad)
	c.send(call("block", 1, nil))
	g.waitEntered(t, "block")
	c.send(call("echoInt", 2, intArg(2)))
	c.send(call("echoInt", 3, intArg(3)))
	if r := c.recv(); r.RequestID != 3 || r.Ret != protocol.ServerOverload {
		t.Fatalf("third request = %+v", r)
	}
	close(g.release)
	got := map[int32]int32{}
	for range 2 {
		r := c.recv()
		got[r.RequestID] = r.Ret
	}
	if got[1] != 0 || got[2] != 0 {
		t.Errorf("first two = %v", got)
	}
}

// TestQueueTimeout: a request that waited for a slot longer than the
// queue timeout is answered -6 without running.
func TestQueueTimeout(t *testing.T) {
	g := newGate()
	_, ad := start(t, []server.Option{server.WithInterceptors(g.interceptor)},
		server.MaxInFlight(1), server.QueueTimeout(20*time.Millisecond))
	c := dial(t, ad)
	c.send(call("block", 1, nil))
	g.waitEntered(t, "block")
	req := call("echoInt", 2, intArg(2))
	req.Timeout = 0
	c.send(req)
	time.Sleep(60 * time.Millisecond)
	close(g.release)
	got := map[int32]*protocol.ResponsePacket{}
	for range 2 {
		r := c.recv()
		got[r.RequestID] = r
	}
	if r := got[2]; r.Ret != protocol.ServerQueueTimeout || !contains(r.ResultDesc, "queue timeout") {
		t.Errorf("queued request = %+v", r)
	}
	if g.count("echoInt") != 0 {
		t.Error("timed-out request dispatched")
	}
}

func TestMaxPacketLen(t *testing.T) {
	_, ad := start(t, nil, server.MaxPacketLen(1024))
	c := dial(t, ad)
	// Within the limit: answered.
	c.send(call("echoBytes", 1, args(func(w *codec.Writer) { w.WriteBytes(1, make([]byte, 900)) })))
	if r := c.recv(); r.Ret != 0 {
		t.Fatalf("900-byte call = %+v", r)
	}
	// A reply over the limit is answered -2 instead: summarize returns
	// the default label "origin" of every point, which the request omits.
	c.send(call("summarize", 2, args(func(w *codec.Writer) {
		w.WriteListHead(1, 200)
		for range 200 {
			p := interop.NewPoint()
			w.WriteStruct(0, &p)
		}
	})))
	if r := c.recv(); r.Ret != protocol.ServerEncodeErr || !contains(r.ResultDesc, "too large") {
		t.Fatalf("oversized reply = %+v", r)
	}
	// A request over the limit closes the connection.
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], 2000)
	c.write(hdr[:])
	c.waitClosed()
	// The server goes on serving others.
	c2 := dial(t, ad)
	c2.send(call("echoInt", 1, intArg(1)))
	if r := c2.recv(); r.Ret != 0 {
		t.Fatalf("after a bad frame: %+v", r)
	}
}

func TestIdleTimeout(t *testing.T) {
	_, ad := start(t, nil, server.IdleTimeout(50*time.Millisecond))
	c := dial(t, ad)
	c.send(call("echoInt", 1, intArg(1)))
	c.recv()
	c.waitClosed()
}

func TestMalformedRequests(t *testing.T) {
	_, ad := start(t, nil)
	// A packet that breaks after its request id is answered -1.
	c := dial(t, ad)
	var w codec.Writer
	w.WriteRaw([]byte{0, 0, 0, 0})
	w.WriteInt16(1, 1)
	w.WriteInt32(4, 77)
	w.WriteRaw([]byte{0x56, 0x40}) // string of 64 bytes, missing
	b := w.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	c.write(b)
	if r := c.recv(); r.RequestID != 77 || r.Ret != protocol.ServerDecodeErr {
		t.Fatalf("reply = %+v", r)
	}
	// Garbage with no request id closes the connection.
	c.write([]byte{0, 0, 0, 6, 0xff, 0xff})
	c.waitClosed()
	// A length below 4 too.
	c = dial(t, ad)
	c.write([]byte{0, 0, 0, 2})
	c.waitClosed()
	c = dial(t, ad)
	c.send(call("echoInt", 1, intArg(9)))
	if r := c.recv(); readRet(t, r.Buffer) != 9 {
		t.Fatalf("after malformed input: %+v", r)
	}
}

func TestPanicInInterceptor(t *testing.T) {
	boom := func(next server.Handler) server.Handler {
		return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
			if req.FuncName == "echoString" {
				panic("interceptor bug")
			}
			return next(ctx, req, resp)
		}
	}
	_, ad := start(t, []server.Option{server.WithInterceptors(boom)})
	c := dial(t, ad)
	c.send(call("echoString", 1, args(func(w *codec.Writer) { w.WriteString(1, "x") })))
	if r := c.recv(); r.Ret != protocol.ServerUnknownErr || !contains(r.ResultDesc, "interceptor bug") {
		t.Fatalf("reply = %+v", r)
	}
	c.send(call("echoInt", 2, intArg(2)))
	if r := c.recv(); r.Ret != 0 {
		t.Fatalf("after panic: %+v", r)
	}
}

// TestInterceptorOrder: the first interceptor is outermost, and an
// interceptor can answer without calling the servant.
func TestInterceptorOrder(t *testing.T) {
	var order []string
	mk := func(name string) server.Interceptor {
		return func(next server.Handler) server.Handler {
			return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
				order = append(order, name+">")
				err := next(ctx, req, resp)
				order = append(order, "<"+name)
				return err
			}
		}
	}
	deny := func(next server.Handler) server.Handler {
		return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
			if req.Context["token"] != "ok" {
				return &denied{}
			}
			return next(ctx, req, resp)
		}
	}
	_, ad := start(t, []server.Option{server.WithInterceptors(mk("a"), mk("b"), deny)})
	c := dial(t, ad)
	c.send(call("echoInt", 1, intArg(1)))
	if r := c.recv(); r.Ret != protocol.ServerUnknownErr || r.ResultDesc != "denied" {
		t.Fatalf("denied call = %+v", r)
	}
	if got := strconv.Quote(joined(order)); got != strconv.Quote("a> b> <b <a") {
		t.Errorf("order = %s", got)
	}
}

type denied struct{}

func (*denied) Error() string { return "denied" }

func joined(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// TestGracefulShutdown: Shutdown stops accepting, pushes _reconnect_,
// lets the in-flight request finish and returns once the client closes.
func TestGracefulShutdown(t *testing.T) {
	g := newGate()
	srv, ad := start(t, []server.Option{server.WithInterceptors(g.interceptor)})
	c := dial(t, ad)
	c.send(call("block", 1, nil))
	g.waitEntered(t, "block")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	push := c.recv()
	if push.RequestID != 0 || push.ResultDesc != protocol.ResultDescReconnect {
		t.Fatalf("push = %+v", push)
	}
	if nc, err := dialErr(ad); err == nil {
		nc.Close()
		t.Error("new connection accepted during shutdown")
	}
	// Requests already on the connection are still served.
	c.send(call("echoInt", 2, intArg(2)))
	close(g.release)
	ids := []int{}
	for range 2 {
		r := c.recv()
		if r.Ret != 0 {
			t.Errorf("in-flight reply = %+v", r)
		}
		ids = append(ids, int(r.RequestID))
	}
	sort.Ints(ids)
	if ids[0] != 1 || ids[1] != 2 {
		t.Errorf("replies %v", ids)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a client still connected", err)
	default:
	}
	c.nc.Close() // as a client does after _reconnect_
	if err := <-done; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

// TestShutdownDeadline: requests still running when the deadline passes
// have their contexts cancelled and the connections are closed.
func TestShutdownDeadline(t *testing.T) {
	g := newGate()
	srv, ad := start(t, []server.Option{server.WithInterceptors(g.interceptor)})
	c := dial(t, ad)
	c.send(call("block", 1, nil))
	g.waitEntered(t, "block")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v", err)
	}
	if push := c.recv(); push.ResultDesc != protocol.ResultDescReconnect {
		t.Fatalf("push = %+v", push)
	}
	c.waitClosed()
	select {
	case <-srv.Done():
	default:
		t.Error("Done not closed after Shutdown")
	}
}

// TestIdleConnectionsDrain: connections with nothing in flight are closed
// by the server after the drain idle time.
func TestIdleConnectionsDrain(t *testing.T) {
	srv, ad := start(t, []server.Option{server.WithDrainIdle(20 * time.Millisecond)})
	c := dial(t, ad)
	c.send(call("echoInt", 1, intArg(1)))
	c.recv()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if push := c.recv(); push.ResultDesc != protocol.ResultDescReconnect {
		t.Fatalf("push = %+v", push)
	}
	c.waitClosed()
}

func TestMaxConns(t *testing.T) {
	_, ad := start(t, nil, server.MaxConns(1))
	c := dial(t, ad)
	c.send(call("echoInt", 1, intArg(1)))
	c.recv()
	c2 := dial(t, ad)
	c2.waitClosed()
}

// TestSlowInlineRequestDoesNotBlock: a request alone on its connection is
// run by the connection's reading goroutine; when it runs long, reading is
// taken over so that the requests behind it are answered first.
func TestSlowInlineRequestDoesNotBlock(t *testing.T) {
	_, ad := start(t, nil)
	c := dial(t, ad)
	c.send(call("sleepMs", 1, intArg(3000)))
	time.Sleep(5 * time.Millisecond) // let it start, alone
	c.send(call("echoInt", 2, intArg(7)))
	if r := c.recv(); r.RequestID != 2 || readRet(t, r.Buffer) != 7 {
		t.Fatalf("first reply = %+v, want the echoInt behind the sleeping call", r)
	}
}
