package server_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/server"
)

// TestResultBufferReuse checks the pooled results buffer the runtime lends
// to resp.Buffer: replies of varying sizes (so lent buffers are outgrown
// and replaced) stay intact, and a slice an interceptor puts in resp.Buffer
// is never recycled and overwritten by a later call.
func TestResultBufferReuse(t *testing.T) {
	shared := args(func(w *codec.Writer) { w.WriteInt32(0, 77) })
	keep := bytes.Clone(shared)
	useShared := func(next server.Handler) server.Handler {
		return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
			if req.FuncName == "echoInt" {
				resp.Buffer = shared // a reply of its own, shared by every call
				return nil
			}
			return next(ctx, req, resp)
		}
	}
	_, ad := start(t, []server.Option{server.WithInterceptors(useShared)})
	c := dial(t, ad)
	for i := range 200 {
		id := int32(2*i + 1)
		c.send(call("echoInt", id, intArg(int32(i))))
		if resp := c.recv(); resp.RequestID != id || readRet(t, resp.Buffer) != 77 {
			t.Fatalf("echoInt reply %d = %+v", i, resp)
		}
		payload := bytes.Repeat([]byte{byte(i)}, (i*397)%5000)
		c.send(call("echoBytes", id+1, args(func(w *codec.Writer) { w.WriteBytes(1, payload) })))
		resp := c.recv()
		var got []byte
		if err := codec.NewReader(resp.Buffer).ReadBytes(&got, 0, true); err != nil || resp.RequestID != id+1 || !bytes.Equal(got, payload) {
			t.Fatalf("echoBytes reply %d (%d bytes): %d bytes, %v", i, len(payload), len(got), err)
		}
	}
	if !bytes.Equal(shared, keep) {
		t.Fatalf("the interceptor's shared reply was overwritten: %x, want %x", shared, keep)
	}
}
