package interop_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"

	"github.com/outpost-edge/outpost/interop/handwritten"
	tg "github.com/outpost-edge/outpost/interop/tarsgo/Interop"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// Benchmarks run both implementations side by side; compare with
//
//	go test -run '^$' -bench . -benchmem -count 10 > bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /impl bench.txt
//
// Encoding reuses one buffer per implementation, decoding one reader; each
// decode fills a fresh value, except that Outpost's packet decoders reuse
// the packet's maps (a documented feature). impl=Outpost is the generated
// code; impl=OutpostHandwritten (package handwritten) is the same encoding
// written by hand without the generator's sorted map keys and interface
// calls, to show what the codec itself costs.

func benchEverything() *opEverything { return fullEverything(8) }

// handwrittenEverything converts through the wire format.
func handwrittenEverything(b testing.TB, e *opEverything) *handwritten.Everything {
	w := codec.NewWriter(nil)
	must(b, e.WriteFields(w))
	h := new(handwritten.Everything)
	must(b, h.ReadFields(codec.NewReader(w.Bytes())))
	return h
}

func benchRequest() *protocol.RequestPacket {
	return &protocol.RequestPacket{
		Version: protocol.VersionTars, RequestID: 123456, ServantName: "Outpost.Interop.EchoObj",
		FuncName: "echoBytes", Buffer: bytes.Repeat([]byte{0x5A}, 1024), Timeout: 3000,
		Context: map[string]string{}, Status: map[string]string{"STATUS_TRACE_KEY": "0123456789abcdef"},
	}
}

func BenchmarkEncodeEverything(b *testing.B) {
	e := benchEverything()
	b.Run("impl=Outpost", func(b *testing.B) {
		w := codec.NewWriter(nil)
		for b.Loop() {
			w.Reset()
			if err := e.WriteFields(w); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(w.Len()))
	})
	b.Run("impl=OutpostHandwritten", func(b *testing.B) {
		h := handwrittenEverything(b, e)
		w := codec.NewWriter(nil)
		for b.Loop() {
			w.Reset()
			if err := h.WriteFields(w); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(w.Len()))
	})
	b.Run("impl=TarsGo", func(b *testing.B) {
		t := everythingToTG(e)
		buf := tc.NewBuffer()
		for b.Loop() {
			buf.Reset()
			if err := t.WriteTo(buf); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(buf.Len()))
	})
}

func BenchmarkDecodeEverything(b *testing.B) {
	w := codec.NewWriter(nil)
	must(b, benchEverything().WriteFields(w))
	data := w.Bytes()
	b.SetBytes(int64(len(data)))
	b.Run("impl=Outpost", func(b *testing.B) {
		r := codec.NewReader(nil)
		var e opEverything
		for b.Loop() {
			r.Reset(data)
			if err := e.ReadFields(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same decoder in no-copy mode: strings and byte vectors alias
	// data, as when the runtime decodes arguments from its private copy of
	// a request body.
	b.Run("impl=OutpostNoCopy", func(b *testing.B) {
		r := codec.NewReader(nil)
		var e opEverything
		for b.Loop() {
			r.ResetNoCopy(data)
			if err := e.ReadFields(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same decoder over a private copy of the input in no-copy mode:
	// like the copying decoders, the result does not alias data, but the
	// strings share one allocation.
	b.Run("impl=OutpostCopyOnce", func(b *testing.B) {
		r := codec.NewReader(nil)
		var e opEverything
		for b.Loop() {
			r.ResetNoCopy(bytes.Clone(data))
			if err := e.ReadFields(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=OutpostHandwritten", func(b *testing.B) {
		r := codec.NewReader(nil)
		var e handwritten.Everything
		for b.Loop() {
			r.Reset(data)
			if err := e.ReadFields(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=TarsGo", func(b *testing.B) {
		r := tc.NewReader(nil)
		for b.Loop() {
			r.Reset(data)
			var t tg.Everything
			if err := t.ReadFrom(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodeRequest1KiB(b *testing.B) {
	p := benchRequest()
	b.Run("impl=Outpost", func(b *testing.B) {
		w := codec.NewWriter(nil)
		for b.Loop() {
			w.Reset()
			if err := protocol.WriteFrame(w, p); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(w.Len()))
	})
	b.Run("impl=TarsGo", func(b *testing.B) {
		t := toReq(p)
		buf := tc.NewBuffer()
		var hdr [4]byte
		for b.Loop() {
			// TarsProtocol.RequestPack, minus its per-call buffer.
			buf.Reset()
			if err := buf.WriteBytes(hdr[:]); err != nil {
				b.Fatal(err)
			}
			if err := t.WriteTo(buf); err != nil {
				b.Fatal(err)
			}
			binary.BigEndian.PutUint32(buf.ToBytes(), uint32(buf.Len()))
		}
		b.SetBytes(int64(buf.Len()))
	})
}

func BenchmarkDecodeRequest1KiB(b *testing.B) {
	w := codec.NewWriter(nil)
	must(b, protocol.WriteFrame(w, benchRequest()))
	body := w.Bytes()[protocol.HeaderLen:]
	b.SetBytes(int64(len(body)))
	b.Run("impl=Outpost", func(b *testing.B) {
		var p protocol.RequestPacket
		for b.Loop() {
			if err := p.Decode(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=OutpostNoCopy", func(b *testing.B) {
		var p protocol.RequestPacket
		for b.Loop() {
			if err := p.DecodeNoCopy(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=TarsGo", func(b *testing.B) {
		r := tc.NewReader(nil)
		for b.Loop() {
			r.Reset(body)
			var p requestf.RequestPacket
			if err := p.ReadFrom(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
