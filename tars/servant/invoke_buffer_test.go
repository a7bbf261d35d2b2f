package servant

import (
	"bytes"
	"context"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// blob is a one-field argument or result struct.
type blob struct{ b []byte }

func (s *blob) WriteFields(w *codec.Writer) error { w.WriteBytes(0, s.b); return w.Err() }
func (s *blob) ReadFields(r *codec.Reader) error  { return r.ReadBytes(&s.b, 0, false) }

// echoInvoker answers every request with its own arguments.
type echoInvoker struct{ seen [][]byte }

func (e *echoInvoker) Invoke(_ context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
	e.seen = append(e.seen, bytes.Clone(req.Buffer))
	return &protocol.ResponsePacket{RequestID: req.RequestID, Buffer: bytes.Clone(req.Buffer)}, nil
}

// TestInvokeReusesArgumentBuffer checks that Invoke's pooled argument
// buffer is right for every call, and that EncodeRequest, whose request
// outlives the call, hands out a copy that later calls do not touch.
func TestInvokeReusesArgumentBuffer(t *testing.T) {
	inv := &echoInvoker{}
	kept, err := EncodeRequest("f", &blob{b: []byte("kept")})
	if err != nil {
		t.Fatal(err)
	}
	keptBuf := bytes.Clone(kept.Buffer)
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
	if !bytes.Equal(kept.Buffer, keptBuf) {
		t.Fatalf("EncodeRequest's buffer changed under later calls: %x, want %x", kept.Buffer, keptBuf)
	}
}
