package protocol_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// FuzzPacketDecode splits arbitrary input into frames and decodes each as a
// request and as a response. Decoding never panics, errors are typed, the
// copying and no-copy decoders agree, accepted packets survive a re-encode,
// and FrameReader yields the same frames as SplitFrame.
func FuzzPacketDecode(f *testing.F) {
	f.Add(unhex(f, specRequest))
	f.Add(unhex(f, specResponse))
	f.Add(append(unhex(f, specRequest), unhex(f, specResponse)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 1 << 16
		var bodies [][]byte
		rest := in
		for {
			body, r, ok, err := protocol.SplitFrame(rest, max)
			if err != nil && !errors.Is(err, protocol.ErrFrameLength) {
				t.Fatalf("untyped frame error %v", err)
			}
			if !ok {
				break
			}
			bodies = append(bodies, body)
			rest = r
		}
		fr := protocol.NewFrameReader(bytes.NewReader(in), max)
		for i, want := range bodies {
			got, err := fr.Next()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("FrameReader frame %d: %v", i, err)
			}
		}
		for _, body := range bodies {
			checkDecode(t, body, new(protocol.RequestPacket), new(protocol.RequestPacket),
				func(p codec.Struct, b []byte) error { return p.(*protocol.RequestPacket).Decode(b) },
				func(p codec.Struct, b []byte) error { return p.(*protocol.RequestPacket).DecodeNoCopy(b) })
			checkDecode(t, body, new(protocol.ResponsePacket), new(protocol.ResponsePacket),
				func(p codec.Struct, b []byte) error { return p.(*protocol.ResponsePacket).Decode(b) },
				func(p codec.Struct, b []byte) error { return p.(*protocol.ResponsePacket).DecodeNoCopy(b) })
		}
	})
}

func checkDecode(t *testing.T, body []byte, a, b codec.Struct, dec, decNoCopy func(codec.Struct, []byte) error) {
	t.Helper()
	errA, errB := dec(a, body), decNoCopy(b, body)
	var ce *codec.Error
	if errA != nil && !errors.As(errA, &ce) {
		t.Fatalf("untyped error %T %v", errA, errA)
	}
	if (errA == nil) != (errB == nil) {
		t.Fatalf("Decode %v, DecodeNoCopy %v", errA, errB)
	}
	if errA != nil {
		return
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("copy and no-copy differ: %+v %+v", a, b)
	}
	w := codec.NewWriter(nil)
	if err := protocol.WriteFrame(w, a); err != nil {
		t.Fatal(err)
	}
	if err := decNoCopy(b, w.Bytes()[protocol.HeaderLen:]); err != nil {
		t.Fatalf("re-decode: %v", err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip differs: %+v %+v", a, b)
	}
}
