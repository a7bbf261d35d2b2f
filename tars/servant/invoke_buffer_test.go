package servant

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// blob is a one-field argument or result struct.
type blob struct{ b []byte }

func (s *blob) WriteFields(w *codec.Writer) error { w.WriteBytes(0, s.b); return w.Err() }
func (s *blob) ReadFields(r *codec.Reader) error  { return r.ReadBytes(&s.b, 0, false) }

// echoInvoker answers every request with its own arguments, except that
// it fails the calls whose argument is "fail" and keeps their requests, as
// a runtime still re-sending a timed-out call would.
type echoInvoker struct{ failed []*protocol.RequestPacket }

func (e *echoInvoker) Invoke(_ context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
	var in blob
	if err := in.ReadFields(codec.NewReader(req.Buffer)); err == nil && string(in.b) == "fail" {
		e.failed = append(e.failed, req)
		return nil, errors.New("timed out")
	}
	return &protocol.ResponsePacket{RequestID: req.RequestID, Buffer: bytes.Clone(req.Buffer)}, nil
}

// TestInvokeReusesArgumentBuffer checks that Invoke's pooled argument
// buffer is right for every call, that the buffer of a failed call is not
// reused, and that EncodeRequest, whose request outlives the call, hands
// out a copy that later calls do not touch.
func TestInvokeReusesArgumentBuffer(t *testing.T) {
	inv := &echoInvoker{}
	kept, err := EncodeRequest("f", &blob{b: []byte("kept")})
	if err != nil {
		t.Fatal(err)
	}
	keptBuf := bytes.Clone(kept.Buffer)
	failArgs := &blob{b: []byte("fail")}
	if err := Invoke(context.Background(), inv, "f", failArgs, &blob{}); err == nil {
		t.Fatal("the failing call succeeded")
	}
	failedBuf := bytes.Clone(inv.failed[0].Buffer)
	for i := range 50 {
		in := &blob{b: bytes.Repeat([]byte{byte(i)}, i*31)}
		var out blob
		if err := Invoke(context.Background(), inv, "f", in, &out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.b, in.b) {
			t.Fatalf("call %d: result %x, want %x", i, out.b, in.b)
		}
	}
	if !bytes.Equal(inv.failed[0].Buffer, failedBuf) {
		t.Fatalf("a failed call's buffer was reused: %x, want %x", inv.failed[0].Buffer, failedBuf)
	}
	if !bytes.Equal(kept.Buffer, keptBuf) {
		t.Fatalf("EncodeRequest's buffer changed under later calls: %x, want %x", kept.Buffer, keptBuf)
	}
}
