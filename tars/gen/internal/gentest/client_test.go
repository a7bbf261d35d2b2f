package gentest_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/gen/internal/gentest/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

func TestClientThroughLoopback(t *testing.T) {
	ctx := t.Context()
	c := interop.NewEchoClient(servant.Loopback(interop.NewEchoDispatcher(echo{})))

	want := everything()
	got, err := c.EchoEverything(ctx, want)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("EchoEverything = %+v, %v", got, err)
	}
	ret, sum, diff, err := c.AddSub(ctx, 2, 5)
	if err != nil || ret != 7 || sum != 7 || diff != -3 {
		t.Fatalf("AddSub = %d %d %d %v", ret, sum, diff, err)
	}
	n, bounds, labels, err := c.Summarize(ctx, []interop.Point{{X: 1, Y: 1, Label: "p"}})
	if err != nil || n != 1 || len(bounds) != 2 || labels[0] != "p" {
		t.Fatalf("Summarize = %d %v %v %v", n, bounds, labels, err)
	}

	// Context and status maps travel both ways.
	var respCtx, respStatus map[string]string
	v, err := c.ContextValue(ctx, "user", servant.WithContext(map[string]string{"user": "alice"}),
		servant.ResponseContext(&respCtx), servant.ResponseStatus(&respStatus))
	if err != nil || v != "alice" || respCtx["echoed"] != "user" || respStatus["seen"] != "yes" {
		t.Fatalf("ContextValue = %q %v %v %v", v, err, respCtx, respStatus)
	}

	// Failures carry iRet and sResultDesc.
	err = c.Fail(ctx, -42, "boom")
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != -42 || se.Message != "boom" {
		t.Fatalf("Fail = %v", err)
	}
	if err.Error() != "tars: ret -42: boom" {
		t.Errorf("message %q", err.Error())
	}
	if code, _ := servant.Result(c.Fail(ctx, 1, "x")); code != protocol.ServerUnknownErr {
		t.Errorf("panic gave %d", code)
	}
}

func TestClientOneway(t *testing.T) {
	calls := make(chan string, 1)
	c := interop.NewEchoClient(servant.Loopback(interop.NewEchoDispatcher(echo{calls: calls})))
	v, err := c.EchoInt(t.Context(), 5, servant.Oneway())
	if err != nil || v != 0 {
		t.Fatalf("oneway EchoInt = %d %v; results of a oneway call are zero", v, err)
	}
	if got := <-calls; got != "echoInt" {
		t.Fatal(got)
	}
}

func TestClientRequestFields(t *testing.T) {
	var sent *protocol.RequestPacket
	reply := &protocol.ResponsePacket{Buffer: unhex(t, "0005")}
	inv := invokerFunc(func(ctx context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
		sent = req
		return reply, nil
	})
	c := interop.NewEchoClient(inv)
	status := map[string]string{protocol.StatusDyedKey: "x"}
	if v, err := c.EchoInt(t.Context(), 5, servant.WithTimeout(1500*time.Millisecond), servant.WithStatus(status)); err != nil || v != 5 {
		t.Fatalf("EchoInt = %d %v", v, err)
	}
	if sent.Version != protocol.VersionTars || sent.PacketType != protocol.PacketNormal || sent.FuncName != "echoInt" ||
		sent.Timeout != 1500 || sent.Status[protocol.StatusDyedKey] != "x" || string(sent.Buffer) != "\x10\x05" {
		t.Fatalf("request = %+v", sent)
	}
	if _, err := c.EchoInt(t.Context(), 5, servant.Oneway()); err != nil || sent.PacketType != protocol.PacketOneway {
		t.Fatalf("oneway request = %+v %v", sent, err)
	}

	// A response that does not decode is a client decode error.
	reply = &protocol.ResponsePacket{Buffer: unhex(t, "0601")}
	if _, err := c.EchoInt(t.Context(), 5); !isCode(err, protocol.ClientDecodeErr) {
		t.Fatalf("bad response: %v", err)
	}
	// An invoker returning neither response nor error.
	reply = nil
	if _, err := c.EchoInt(t.Context(), 5); !errors.Is(err, servant.ErrNoResponse) {
		t.Fatalf("nil response: %v", err)
	}
	// Transport errors pass through unchanged.
	boom := errors.New("connection reset")
	c = interop.NewEchoClient(invokerFunc(func(context.Context, *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
		return nil, boom
	}))
	if _, err := c.EchoInt(t.Context(), 5); !errors.Is(err, boom) {
		t.Fatalf("transport error: %v", err)
	}
}

func isCode(err error, code int32) bool {
	c, _ := servant.Result(err)
	return c == code
}
