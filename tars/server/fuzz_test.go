package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/protocol/tup"
)

// pipeConn is a net.Conn that reads a fixed input and records what is
// written to it.
type pipeConn struct {
	r      *bytes.Reader
	mu     sync.Mutex
	out    bytes.Buffer
	closed bool
}

func (c *pipeConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	return c.r.Read(p)
}

func (c *pipeConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	return c.out.Write(p)
}

func (c *pipeConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *pipeConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *pipeConn) SetDeadline(t time.Time) error      { return nil }
func (c *pipeConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return nil }

// fuzzEcho is the interop servant with sleeps capped, so that fuzzed input
// cannot stall a run.
type fuzzEcho struct{ echo.Echo }

func (e fuzzEcho) SleepMs(ctx context.Context, ms int32) (int32, error) {
	return e.Echo.SleepMs(ctx, min(ms, 5))
}

func frame(t testing.TB, s codec.Struct) []byte {
	var w codec.Writer
	if err := protocol.WriteFrame(&w, s); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

func fuzzSeeds(t testing.TB) [][]byte {
	req := func(version int16, fn string, buf []byte) *protocol.RequestPacket {
		return &protocol.RequestPacket{Version: version, RequestID: 1, ServantName: echo.Obj, FuncName: fn,
			Buffer: buf, Timeout: 1000, Context: map[string]string{"k": "v"}}
	}
	var w codec.Writer
	w.WriteInt32(1, 7)
	w.WriteInt32(2, 3)
	addSub := append([]byte(nil), w.Bytes()...)
	u, _ := tup.New(protocol.VersionTUP3)
	tup.PutValue(u, "a", int32(1))
	tup.PutValue(u, "b", int32(2))
	tupBody, _ := u.Bytes()
	oneway := req(1, "echoInt", []byte{0x10, 0x05})
	oneway.PacketType = protocol.PacketOneway
	two := append(frame(t, req(1, "echoInt", []byte{0x10, 0x05})), frame(t, req(5, "echoString", []byte(`{"v":"x"}`)))...)
	return [][]byte{
		frame(t, req(1, "addSub", addSub)),
		frame(t, req(3, "addSub", tupBody)),
		frame(t, req(5, "addSub", []byte(`{"a":1,"b":2}`))),
		frame(t, req(1, protocol.FuncPing, nil)),
		frame(t, oneway),
		frame(t, req(1, "fail", []byte{0x10, 0x07, 0x26, 0x01, 'x'})),
		frame(t, req(1, "sleepMs", []byte{0x12, 0x7f, 0xff, 0xff, 0xff})),
		frame(t, &protocol.RequestPacket{Version: 1, RequestID: 2, ServantName: "x", FuncName: "y"}),
		two,
		{0, 0, 0, 4},
		{0, 0, 0, 3},
		{0xff, 0xff, 0xff, 0xff, 1, 2},
		{0, 0, 0, 8, 0x10, 0x01, 0x40, 0x05},
	}
}

// FuzzConn feeds arbitrary bytes to a server connection: whatever comes
// in, serving must end at end of input without panicking or hanging, and
// everything the server writes must be well-formed reply frames.
func FuzzConn(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	srv := New(WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ad := newAdapter(srv, endpoint.Endpoint{Proto: endpoint.TCP, Host: "fuzz"}, nil,
		[]AdapterOption{MaxInFlight(4), QueueCap(4), MaxPacketLen(1 << 16)})
	ad.Handle(echo.Obj, interop.NewEchoDispatcher(fuzzEcho{}))
	ad.Handle(AdminObj, srv.AdminDispatcher())
	f.Fuzz(func(t *testing.T, in []byte) {
		pc := &pipeConn{r: bytes.NewReader(in)}
		c := newConn(ad, pc)
		ad.addConn(c)
		c.serve()
		<-c.closed
		pc.mu.Lock()
		out := append([]byte(nil), pc.out.Bytes()...)
		pc.mu.Unlock()
		for len(out) > 0 {
			body, rest, ok, err := protocol.SplitFrame(out, 0)
			if err != nil || !ok {
				t.Fatalf("server wrote a bad frame: % x (%v)", out, err)
			}
			if err := decodeReply(body); err != nil {
				t.Fatalf("server wrote an undecodable reply: % x (%v)", body, err)
			}
			out = rest
		}
	})
}

// decodeReply decodes a reply frame body: RequestPacket-shaped for TUP,
// a ResponsePacket otherwise.
func decodeReply(body []byte) error {
	var version int16
	if err := codec.NewReader(body).ReadInt16(&version, 1, true); err != nil {
		return err
	}
	if version == protocol.VersionTUP2 || version == protocol.VersionTUP3 {
		var req protocol.RequestPacket
		return req.Decode(body)
	}
	var resp protocol.ResponsePacket
	return resp.Decode(body)
}

// TestFuzzSeeds runs the seeds through a real connection handler in the
// normal test run.
func TestFuzzSeeds(t *testing.T) {
	srv := New(WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ad := newAdapter(srv, endpoint.Endpoint{Proto: endpoint.TCP, Host: "seed"}, nil, nil)
	ad.Handle(echo.Obj, interop.NewEchoDispatcher(fuzzEcho{}))
	for i, s := range fuzzSeeds(t) {
		pc := &pipeConn{r: bytes.NewReader(s)}
		c := newConn(ad, pc)
		ad.addConn(c)
		c.serve()
		<-c.closed
		// The first seed, addSub(7, 3), is answered even though the
		// client stopped sending right after it.
		if i == 0 {
			pc.mu.Lock()
			body, _, ok, err := protocol.SplitFrame(pc.out.Bytes(), 0)
			pc.mu.Unlock()
			var resp protocol.ResponsePacket
			if !ok || err != nil || resp.Decode(body) != nil || resp.Ret != 0 || len(resp.Buffer) == 0 {
				t.Fatalf("addSub reply: %+v %v", resp, err)
			}
		}
	}
}
